-- Lead search (q) over name, email, phone and company through one trigram index, so a substring search stays an
-- index scan at a million leads. The expression here and in LeadsGrain must stay identical.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS ix_crm_leads_search ON crm_leads USING gin (
    (coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(company, '')) gin_trgm_ops);
