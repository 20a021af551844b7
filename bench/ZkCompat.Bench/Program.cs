using ZkCompat.Bench;
using ZkCompat.Bench.Workloads;

// zkbench WORKLOAD [options]: drives one server and prints one "RESULT ..." line (see BenchOptions.Usage).
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    await Console.Error.WriteLineAsync(BenchOptions.Usage);
    return 2;
}

if (!IsLoopback(options.Server))
{
    await Console.Error.WriteLineAsync($"refusing {options.Server}: the benchmark only targets 127.0.0.0/8, localhost or [::1]");
    return 2;
}

var time = TimeProvider.System;
try
{
    RunResult result = options.Workload switch
    {
        "fanout" => await FanoutWorkload.RunAsync(options, time),
        "storm" => await StormWorkload.RunAsync(options, time),
        "bulk" => await BulkWorkload.RunAsync(options, time, Console.Error),
        _ => await KeyValueWorkload.RunAsync(options, time),
    };
    Console.WriteLine(result.ToLine());
    return 0;
}
catch (Exception e) when (e is ZkCompat.Protocol.KeeperException or TimeoutException or IOException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync($"{options.Workload} against {options.Label} failed: {e}");
    return 1;
}

static bool IsLoopback(string server)
{
    foreach (var host in ZkCompat.Client.ConnectString.Parse(server))
    {
        if (host.Host == "localhost") continue;
        if (!System.Net.IPAddress.TryParse(host.Host, out var ip) || !System.Net.IPAddress.IsLoopback(ip)) return false;
    }
    return true;
}
