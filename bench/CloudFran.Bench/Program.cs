using CloudFran.Bench;

// Usage: CloudFran.Bench --url http://127.0.0.1:5090 --admin-key sk_admin_… [--quick] [--only name,name]
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var url = Arg("--url", "http://127.0.0.1:5090");
var adminKey = Arg("--admin-key", Environment.GetEnvironmentVariable("CLOUDFRAN_BOOTSTRAP_ADMIN_KEY") ?? "");
var quick = args.Contains("--quick");
var only = Arg("--only", "").Split(',', StringSplitOptions.RemoveEmptyEntries);

var scenarios = typeof(IScenario).Assembly.GetTypes()
    .Where(t => typeof(IScenario).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IScenario)Activator.CreateInstance(t)!)
    .Where(s => only.Length == 0 || only.Contains(s.Name))
    .OrderBy(s => s.Name == "foundation" ? 0 : 1).ThenBy(s => s.Name)
    .ToList();

var context = new BenchContext(url, adminKey, quick);
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
        Console.WriteLine($"   scenario {scenario.Name} failed: {e.Message}");
    }
}
context.PrintTable(Console.Out);
return failed ? 1 : 0;
