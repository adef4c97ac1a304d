using System.Reflection;
using System.Xml.Linq;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>
/// The module shape's dependency rule, checked on both the project files and the built assemblies: Abstractions
/// depends on no project of ours, Grains on Abstractions only, Web on Abstractions only (so no endpoint can reach a
/// grain class, a SQL helper or a worker), and the Host alone composes them. With the project reference gone the
/// compiler refuses any Grains type in Web; these tests keep the reference from coming back.
/// </summary>
public sealed class ArchitectureTests
{
    public static TheoryData<string, string[]> Allowed => new()
    {
        { "CloudFran.Abstractions", [] },
        { "CloudFran.Grains", ["CloudFran.Abstractions"] },
        { "CloudFran.Web", ["CloudFran.Abstractions"] },
        { "CloudFran.Host", ["CloudFran.Abstractions", "CloudFran.Grains", "CloudFran.Web"] },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Each_project_references_only_the_projects_its_room_allows(string project, string[] allowed)
    {
        var file = XDocument.Load(Path.Combine(Repo.Root, "src", project, project + ".csproj"));
        var references = file.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(((string?)r.Attribute("Include") ?? "").Replace('\\', '/')))
            .ToArray();
        Assert.All(references, name => Assert.Contains(name, allowed));
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Each_built_assembly_uses_only_the_assemblies_its_room_allows(string project, string[] allowed)
    {
        var assembly = Assembly.Load(project);
        var ours = assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("CloudFran.", StringComparison.Ordinal))
            .ToArray();
        Assert.All(ours, name => Assert.Contains(name, allowed));
    }

    [Fact]
    public void The_assembly_check_sees_a_reference_where_one_exists()
    {
        // Guards the check itself: the Host does use Grains and Web, so an empty answer would be a broken reader.
        var names = Assembly.Load("CloudFran.Host").GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("CloudFran.Grains", names);
        Assert.Contains("CloudFran.Web", names);
    }
}
