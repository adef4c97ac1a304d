using CloudFran.Abstractions.Crm;
using CloudFran.Grains.Crm;
using Xunit;

namespace CloudFran.Tests.Crm;

/// <summary>The lead CSV import rules, without storage or HTTP.</summary>
public sealed class LeadImportTests
{
    private static IReadOnlyList<IReadOnlyList<string>> Rows(params string[][] rows) => rows;

    [Fact]
    public void Columns_are_found_by_header_name_or_by_the_mapping()
    {
        var columns = LeadImport.Columns(Rows([" Name ", "EMAIL", "Mobile"], ["Ann", "a@x.io", "+14155550100"]),
            new Dictionary<string, string> { ["phone"] = "mobile" });
        Assert.Equal(new Dictionary<string, int> { ["name"] = 0, ["phone"] = 2, ["email"] = 1 }, columns);
    }

    [Fact]
    public void A_file_the_import_cannot_read_is_refused_whole()
    {
        Assert.Equal("file", Assert.Throws<CloudFranException>(() => LeadImport.Columns(Rows(), null)).Details.Single().Field);
        Assert.Equal("mapping.name", Assert.Throws<CloudFranException>(() => LeadImport.Columns(Rows(["email"]), null)).Details.Single().Field);
        var missing = Assert.Throws<CloudFranException>(() => LeadImport.Columns(Rows(["name"]), new Dictionary<string, string> { ["phone"] = "cell" }));
        Assert.Equal("mapping.phone", missing.Details.Single().Field);
        var many = Enumerable.Repeat<IReadOnlyList<string>>(["Ann"], LeadImport.MaxRows + 1).Prepend(["name"]).ToList();
        Assert.Contains("5000", Assert.Throws<CloudFranException>(() => LeadImport.Columns(many, null)).Message);
        many.RemoveAt(1);
        LeadImport.Columns(many, null); // header + 5000 rows is fine
    }

    [Fact]
    public void A_row_becomes_a_lead_with_its_tags_and_the_default_tags()
    {
        var columns = new Dictionary<string, int> { ["name"] = 0, ["source"] = 1, ["tags"] = 2, ["phone"] = 3 };
        var input = LeadImport.Input([" Ann ", "WEBSITE", "vip; spring|vip", "  "], columns, ["imported", "vip"]);
        Assert.Equal(("Ann", "website", (string?)null), (input.Name, input.Source, input.Phone));
        Assert.Equal(["vip", "spring", "imported"], input.Tags);
        Assert.False(input.AutoNurture);
        Assert.Null(LeadImport.Input(["Bob"], columns, []).Source); // a short row: missing cells are absent
    }

    [Fact]
    public void An_invalid_row_reports_its_field_errors()
    {
        var input = new LeadInput("Ann", null, null, null, null, null, [], null, null, null, null, false);
        Assert.Equal(["phone: A lead needs a phone or an email."], LeadImport.Errors(input));
        Assert.Empty(LeadImport.Errors(input with { Email = "ann@example.com" }));
    }

    [Fact]
    public void A_matching_lead_keeps_its_tags_and_gains_the_row_s()
    {
        var input = new LeadInput("Ann", null, "a@x.io", null, null, "contacted", ["spring", "vip"], null, null, null, null, false);
        var patch = LeadImport.Merge(input, ["vip", "old"]);
        Assert.Equal(["vip", "old", "spring"], patch.Tags);
        Assert.Equal(("contacted", "csv_import"), (patch.Status, patch.UpdatedBy));
    }

    [Fact]
    public void The_report_counts_every_outcome()
    {
        var report = LeadImport.Report([
            new ImportRowResult(1, "created", "lead_1", []), new ImportRowResult(2, "updated", "lead_2", []),
            new ImportRowResult(3, "skipped", "lead_3", []), new ImportRowResult(4, "error", null, ["x"]), new ImportRowResult(5, "created", "lead_5", []),
        ]);
        Assert.Equal((5, 2, 1, 1, 1), (report.TotalRows, report.Created, report.Updated, report.Skipped, report.Failed));
    }

    [Fact]
    public void Tags_are_trimmed_and_deduplicated_and_a_zone_is_read_only_when_unambiguous()
    {
        Assert.Equal(["a", "b"], LeadFields.Tags([" a", "b ", "a", " "]));
        Assert.Empty(LeadFields.Tags(null));
        Assert.Equal("Europe/Berlin", LeadFields.PhoneZone("493012345678")); // stored with a leading '+'
        Assert.Null(LeadFields.PhoneZone("+18005550100")); // toll-free: every US zone
        Assert.Null(LeadFields.PhoneZone("not a phone"));
        Assert.Null(LeadFields.PhoneZone(null));
    }
}
