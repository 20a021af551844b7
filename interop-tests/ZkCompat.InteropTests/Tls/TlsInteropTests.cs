using System.Globalization;
using NUnit.Framework;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Tls;

/// <summary>
/// The secure client port against the stock zkCli.sh (Netty client socket, PKCS12 stores): Java 3.8 with
/// NettyServerCnxnFactory + secureClientPort and ZkCompat run on the same zoo.cfg and the same store
/// files, and every zkCli transcript must be the same on both. Covers create/get, x509 whoami, x509 ACLs
/// (by "auth" and by explicit id), a plaintext client and an untrusted certificate on the secure port,
/// and Java's refusal to start a secure port with the NIO factory.
/// </summary>
[TestFixture]
[CancelAfter(15 * 60 * 1000)]
public class TlsInteropTests
{
    private TlsTestFiles _files = null!;
    private IZooKeeperProcess _java = null!;
    private IZooKeeperProcess _zkCompat = null!;
    private int _javaSecurePort;
    private int _zkCompatSecurePort;

    [OneTimeSetUp]
    public async Task StartBothServers()
    {
        _files = TlsTestFiles.Create();
        _java = await NettyJavaServer.StartAsync(cfg => _javaSecurePort = ConfigureSecurePort(cfg));
        _zkCompat = await ZkCompatServerProcess.StartAsync(cfg => _zkCompatSecurePort = ConfigureSecurePort(cfg));
    }

    [OneTimeTearDown]
    public async Task StopBothServers()
    {
        if (_java is not null) await _java.DisposeAsync();
        if (_zkCompat is not null) await _zkCompat.DisposeAsync();
        _files?.Dispose();
    }

    private int ConfigureSecurePort(ZooCfg cfg)
    {
        int port = FreePort.OnLoopback();
        cfg.Set("secureClientPort", port.ToString(CultureInfo.InvariantCulture))
            .Set("secureClientPortAddress", "127.0.0.1")
            .Set("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory")
            .Set("authProvider.x509", "org.apache.zookeeper.server.auth.X509AuthenticationProvider")
            .Set("ssl.keyStore.location", _files.ServerKeyStore)
            .Set("ssl.keyStore.password", TlsTestFiles.Password)
            .Set("ssl.trustStore.location", _files.TrustStore)
            .Set("ssl.trustStore.password", TlsTestFiles.Password);
        return port;
    }

    private string ClientFlags(string keyStore) => TlsZkCli.TlsFlags(keyStore, _files.TrustStore, TlsTestFiles.Password);

    private IEnumerable<(IZooKeeperProcess Server, int SecurePort)> Both => [(_java, _javaSecurePort), (_zkCompat, _zkCompatSecurePort)];

    [Test]
    public async Task CreateGet_WhoAmI_AndX509Acls_TranscriptsMatch()
    {
        var transcripts = new List<(ServerKind Kind, ZkCliRun Owner, ZkCliRun Other)>();
        foreach (var (server, port) in Both)
        {
            var owner = await TlsZkCli.SessionAsync(port, ClientFlags(_files.ClientOneKeyStore),
            [
                "create /tls hello",
                "get /tls",
                "whoami",
                "create /tls/owned secret auth::cdrwa",
                "getAcl /tls/owned",
                "get /tls/owned",
                $"create /tls/for-two shared x509:{TlsTestFiles.ClientTwoId}:r",
                "getAcl /tls/for-two",
                "get /tls/for-two",
                "addauth x509",
                "whoami",
            ], CancellationToken.None);
            var other = await TlsZkCli.SessionAsync(port, ClientFlags(_files.ClientTwoKeyStore),
            [
                "whoami",
                "get /tls",
                "get /tls/owned",
                "get /tls/for-two",
            ], CancellationToken.None);
            transcripts.Add((server.Kind, owner, other));
        }

        var (_, javaOwner, javaOther) = transcripts[0];
        var (_, zkOwner, zkOther) = transcripts[1];
        TestContext.Out.WriteLine("Java transcripts (ZkCompat's must be the same):\n" + string.Join('\n', javaOwner.Transcript)
            + "\n---\n" + string.Join('\n', javaOther.Transcript));
        // Java first, on its own: the scenario must say what it means to.
        Assert.That(javaOwner.ExitCode, Is.Zero, javaOwner.Describe());
        Assert.That(javaOwner.Transcript, Does.Contain("hello").And.Contain("x509: " + TlsTestFiles.ClientOneId).And.Contain("secret"),
            javaOwner.Describe());
        Assert.That(javaOther.Transcript, Does.Contain("x509: " + TlsTestFiles.ClientTwoId).And.Contain("Insufficient permission : /tls/owned"),
            javaOther.Describe());

        Assert.That(zkOwner.Transcript, Is.EqualTo(javaOwner.Transcript),
            $"owner session differs\n--- Java ---\n{javaOwner.Describe()}\n--- ZkCompat ---\n{zkOwner.Describe()}\n--- ZkCompat log ---\n{_zkCompat.LogText}");
        Assert.That(zkOther.Transcript, Is.EqualTo(javaOther.Transcript),
            $"second session differs\n--- Java ---\n{javaOther.Describe()}\n--- ZkCompat ---\n{zkOther.Describe()}\n--- ZkCompat log ---\n{_zkCompat.LogText}");
        Assert.That(zkOwner.ExitCode, Is.EqualTo(javaOwner.ExitCode));
    }

    [Test]
    public async Task PlaintextClient_OnTheSecurePort_FailsOnBoth_AndTheServerCarriesOn()
    {
        foreach (var (server, port) in Both)
        {
            // The stock client, no TLS flags at all.
            var plain = await TlsZkCli.CommandAsync(port, "", "get /", CancellationToken.None);
            Assert.That(plain.ExitCode, Is.EqualTo(1), $"{server.Kind}: {plain.Describe()}");
            Assert.That(plain.Transcript, Does.Contain("KeeperErrorCode = ConnectionLoss for /"), $"{server.Kind}: {plain.Describe()}");
            Assert.That(server.LogText, Does.Contain("Unsuccessful handshake"), $"{server.Kind} logs the refused connection");

            var tls = await TlsZkCli.CommandAsync(port, ClientFlags(_files.ClientOneKeyStore), "ls /", CancellationToken.None);
            Assert.That(tls.ExitCode, Is.Zero, $"{server.Kind}: {tls.Describe()}");
            Assert.That(tls.Transcript, Has.Some.StartsWith("[").And.Some.Contains("zookeeper]"), $"{server.Kind}: {tls.Describe()}");
        }
    }

    [Test]
    public async Task UntrustedClientCertificate_FailsOnBoth()
    {
        var transcripts = new List<IReadOnlyList<string>>();
        foreach (var (server, port) in Both)
        {
            var rogue = await TlsZkCli.CommandAsync(port, ClientFlags(_files.RogueKeyStore), "get /", CancellationToken.None);
            Assert.That(rogue.ExitCode, Is.EqualTo(1), $"{server.Kind}: {rogue.Describe()}");
            Assert.That(rogue.Transcript, Does.Contain("KeeperErrorCode = ConnectionLoss for /"), $"{server.Kind}: {rogue.Describe()}");
            transcripts.Add(rogue.Transcript);
        }
        Assert.That(transcripts[1], Is.EqualTo(transcripts[0]));
        Assert.That(_zkCompat.LogText, Does.Contain("client certificate rejected"));
    }

    [Test]
    public async Task SecureClientPort_WithTheNioFactory_EndsBothProcesses()
    {
        string dir = Path.Combine(Path.GetTempPath(), "zkcompat-interop-tls-nio-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var results = new List<(string Kind, int? ExitCode, string Output)>();
            foreach (var kind in new[] { ServerKind.Java, ServerKind.ZkCompat })
            {
                string configPath = Path.Combine(dir, $"{kind}.cfg");
                await File.WriteAllTextAsync(configPath,
                    $"tickTime=2000\ndataDir={Path.Combine(dir, kind + "-data")}\nclientPort={FreePort.OnLoopback()}\n"
                    + $"clientPortAddress=127.0.0.1\nsecureClientPort={FreePort.OnLoopback()}\nadmin.enableServer=false\n"
                    + $"ssl.keyStore.location={_files.ServerKeyStore}\nssl.keyStore.password={TlsTestFiles.Password}\n");
                var (fileName, args) = kind == ServerKind.Java
                    ? NettyJavaServer.CommandFor(configPath)
                    : (ZkCompatServerProcess.LocateDotnet(), (IReadOnlyList<string>)[ZkCompatServerProcess.LocateDll(), configPath]);
                await using var process = ChildProcess.Start(fileName, args, new ChildProcessOptions { WorkingDirectory = dir });
                bool exited = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
                results.Add((kind.ToString(), exited ? process.ExitCode : null, process.Output));
            }
            foreach (var (kind, exitCode, output) in results)
            {
                Assert.That(exitCode, Is.EqualTo(1), $"{kind} must exit with UNEXPECTED_ERROR\n{output}");
                Assert.That(output, Does.Contain("SSL isn't supported in NIOServerCnxn").And.Contain("Unexpected exception, exiting abnormally"), kind);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
