using CloudFran.Bench;

// Usage: CloudFran.Bench --url http://127.0.0.1:5090 --admin-key sk_admin_… [--quick] [--only name,name]
//        [--markdown-out FILE] [--host-dll PATH] [--repo DIR]
// The PostgreSQL server (for the scenarios that start their own nodes) comes from CLOUDFRAN_BENCH_POSTGRES.
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var url = Arg("--url", "http://127.0.0.1:5090");
var adminKey = Arg("--admin-key", Environment.GetEnvironmentVariable("CLOUDFRAN_BOOTSTRAP_ADMIN_KEY") ?? "");
var quick = args.Contains("--quick");
var only = Arg("--only", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
var markdownOut = Arg("--markdown-out", "");
var repo = Arg("--repo", FindRepoRoot() ?? "");

var scenarios = typeof(IScenario).Assembly.GetTypes()
    .Where(t => typeof(IScenario).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IScenario)Activator.CreateInstance(t)!)
    .Where(s => only.Length == 0 || only.Contains(s.Name))
    .OrderBy(s => s.Phase).ThenBy(s => s.Name == "foundation" ? 0 : 1).ThenBy(s => s.Name)
    .ToList();

var context = new BenchContext(url, adminKey, quick)
{
    PostgresConnectionString = Environment.GetEnvironmentVariable("CLOUDFRAN_BENCH_POSTGRES") is { Length: > 0 } pg ? pg : null,
    RepoRoot = repo.Length > 0 ? repo : null,
    HostDll = Arg("--host-dll", repo.Length > 0 ? Path.Combine(repo, "src/CloudFran.Host/bin/Release/net10.0/CloudFran.Host.dll") : "") is { Length: > 0 } dll
        && File.Exists(dll) ? dll : null,
};
Console.WriteLine($"CloudFran benchmarks against {url} ({(quick ? "quick" : "full")}; {Environment.ProcessorCount} cores; concurrency {context.Concurrency})");
var failed = false;
foreach (var scenario in scenarios)
{
    Console.WriteLine($"== {scenario.Name}");
    try
    {
        await scenario.RunAsync(context);
    }
    catch (Exception e)
    {
        failed = true;
        Console.WriteLine($"   scenario {scenario.Name} failed: {e}");
        context.ReportFailure(scenario.Name, e.Message.Length > 160 ? e.Message[..160] + "…" : e.Message);
    }
}
Console.WriteLine();
context.PrintTable(Console.Out);
if (markdownOut.Length > 0)
{
    await using var file = File.CreateText(markdownOut);
    context.PrintTable(file);
}
return failed ? 1 : 0;

static string? FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "CloudFran.Orleans.sln")))
        {
            return dir.FullName;
        }
    }
    return null;
}
