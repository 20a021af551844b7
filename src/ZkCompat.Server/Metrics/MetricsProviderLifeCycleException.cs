namespace ZkCompat.Server.Metrics;

/// <summary>The metrics provider could not start (Java's exception of that name); the server does not start either.</summary>
public sealed class MetricsProviderLifeCycleException(string message, Exception? inner = null) : Exception(message, inner);
