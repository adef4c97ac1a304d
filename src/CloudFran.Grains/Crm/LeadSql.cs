using CloudFran.Abstractions.Crm;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Crm;

/// <summary>Column list and row mapping of <c>crm_leads</c>.</summary>
public static class LeadSql
{
    public const string Columns =
        "lead_id, name, phone, email, company, source, status, tags, notes, owner, location_id, timezone, created_at, updated_at";

    public static LeadView Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.NullableString("phone"), r.NullableString("email"), r.NullableString("company"),
        r.GetString(5), r.GetString(6), r.GetFieldValue<string[]>(7), r.NullableString("notes"), r.NullableString("owner"),
        r.NullableString("location_id"), r.NullableString("timezone"), r.Time("created_at"), r.Time("updated_at"));
}
