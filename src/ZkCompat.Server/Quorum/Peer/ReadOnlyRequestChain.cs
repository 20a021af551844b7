using System.Threading.Channels;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;
using ZkCompat.Server.Processors;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>
/// A partitioned peer's chain in read-only mode (Java's ReadOnlyRequestProcessor → Final): reads are
/// served from the local tree, every write (and sync) is answered NOTREADONLY, and sessions live
/// only here: creating, closing and expiring them never makes a txn, so the tree cannot change.
/// </summary>
internal sealed class ReadOnlyRequestChain(ZooKeeperServer zks, int capacity) : IRequestChain
{
    private readonly Channel<Request> _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(Math.Max(1, capacity)) { SingleReader = true });

    public ValueTask EnqueueAsync(Request request, CancellationToken ct) => _queue.Writer.WriteAsync(request, ct);

    public void Start(Func<string, Func<Task>, Task> watch, CancellationToken ct) => watch("ReadOnlyRequestProcessor", () => RunAsync(ct));

    public void Complete() => _queue.Writer.TryComplete();

    private async Task RunAsync(CancellationToken ct)
    {
        await foreach (var request in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (request.Type == OpCode.CloseSession)
            {
                zks.RequestDropped();
                zks.CloseSessionLocally(request.SessionId);
                if (request.Connection is { } closing)
                {
                    closing.SendResponse(new ReplyHeader(request.Cxid, zks.Tree.LastProcessedZxid, 0), null);
                    closing.SendCloseSession();
                }
            }
            else if (LearnerRequestChain.IsForwarded(request.Type) && request.Type != OpCode.CreateSession)
            {
                zks.RequestDropped();
                request.Connection?.SendResponse(new ReplyHeader(request.Cxid, zks.Tree.LastProcessedZxid, (int)ErrorCode.NotReadOnly), null);
            }
            else
            {
                zks.Final.ProcessRequest(request);
            }
        }
    }
}
