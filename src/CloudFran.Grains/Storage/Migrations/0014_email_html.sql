-- Email: an optional HTML alternative next to the plain-text body (sent as multipart/alternative).
ALTER TABLE email_messages ADD COLUMN IF NOT EXISTS html_body text CHECK (length(html_body) <= 100000);
