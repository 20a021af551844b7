using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Auth;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Processors;

/// <summary>
/// Last stage (Java's <c>FinalRequestProcessor</c>): applies the txn to the tree (which fires
/// watches), serves reads, and queues the reply on the connection. It runs on one thread, the
/// only one that writes the tree; a watch event therefore always leaves before the reply to the
/// write that caused it.
/// </summary>
public sealed partial class FinalRequestProcessor(ZooKeeperServer zks, ILogger log)
{
    public void ProcessRequest(Request request)
    {
        var rc = zks.ApplyRequest(request);
        var cnxn = request.Connection;
        if (cnxn is null) return;

        long lastZxid = zks.Tree.LastProcessedZxid;
        string lastOp = "NA";
        ErrorCode err = ErrorCode.Ok;
        IJuteWritable? rsp = null;
        try
        {
            if (request.Header is { } hdr && hdr.Type == (int)OpCode.Error)
            {
                throw request.Exception ?? new KeeperException((ErrorCode)((ErrorTxn)request.Txn!).Err);
            }
            if (request.Exception is { } ke && (ke.Code == ErrorCode.SessionMoved || request.Type != OpCode.Multi))
                throw ke;

            switch (request.Type)
            {
                case OpCode.Ping:
                    cnxn.RequestFinished(request, "PING", lastZxid);
                    cnxn.SendResponse(new ReplyHeader(Xids.Ping, lastZxid, 0), null);
                    return;
                case OpCode.CreateSession:
                    cnxn.RequestFinished(request, "SESS", lastZxid);
                    zks.FinishSessionInit(cnxn, valid: true);
                    return;
                case OpCode.Multi:
                    lastOp = "MULT";
                    rsp = MultiResults(rc!);
                    break;
                case OpCode.MultiRead:
                    lastOp = "MLTR";
                    rsp = MultiRead(request, cnxn);
                    break;
                case OpCode.Create:
                    lastOp = "CREA";
                    rsp = new CreateResponse(rc!.Path);
                    err = (ErrorCode)rc.Err;
                    break;
                case OpCode.Create2:
                case OpCode.CreateTtl:
                case OpCode.CreateContainer:
                    lastOp = "CREA";
                    rsp = new Create2Response(rc!.Path, rc.Stat ?? new Stat());
                    err = (ErrorCode)rc.Err;
                    break;
                case OpCode.Delete:
                case OpCode.DeleteContainer:
                    lastOp = "DELE";
                    err = (ErrorCode)rc!.Err;
                    break;
                case OpCode.SetData:
                    lastOp = "SETD";
                    rsp = new SetDataResponse(rc!.Stat ?? new Stat());
                    err = (ErrorCode)rc.Err;
                    break;
                case OpCode.Reconfig:
                    // The new config text (this txn's data) and the config node's stat.
                    lastOp = "RECO";
                    rsp = new GetDataResponse((request.Txn as SetDataTxn)?.Data ?? [], rc!.Stat ?? new Stat());
                    err = (ErrorCode)rc.Err;
                    break;
                case OpCode.SetAcl:
                    lastOp = "SETA";
                    rsp = new SetACLResponse(rc!.Stat ?? new Stat());
                    err = (ErrorCode)rc.Err;
                    break;
                case OpCode.CloseSession:
                    lastOp = "CLOS";
                    err = (ErrorCode)rc!.Err;
                    break;
                case OpCode.Sync:
                    lastOp = "SYNC";
                    rsp = new SyncResponse(Read<SyncRequest>(request).Path);
                    break;
                case OpCode.Check:
                    lastOp = "CHEC";
                    rsp = new SetDataResponse(rc!.Stat ?? new Stat());
                    err = (ErrorCode)rc.Err;
                    break;
                case OpCode.Exists:
                {
                    lastOp = "EXIS";
                    var exists = Read<ExistsRequest>(request);
                    string path = RequirePath(exists.Path);
                    if (path.Contains('\0')) throw new KeeperException(ErrorCode.BadArguments);
                    var stat = zks.Tree.StatNode(path, exists.Watch ? cnxn : null) ?? throw new KeeperException(ErrorCode.NoNode);
                    rsp = new ExistsResponse(stat);
                    break;
                }
                case OpCode.GetData:
                    lastOp = "GETD";
                    rsp = GetData(Read<GetDataRequest>(request), cnxn, request.AuthInfo);
                    break;
                case OpCode.SetWatches:
                {
                    lastOp = "SETW";
                    var sw = Read<SetWatches>(request);
                    zks.Tree.SetWatches(sw.RelativeZxid, Paths(sw.DataWatches), Paths(sw.ExistWatches), Paths(sw.ChildWatches), [], [], cnxn);
                    break;
                }
                case OpCode.SetWatches2:
                {
                    lastOp = "STW2";
                    var sw = Read<SetWatches2>(request);
                    zks.Tree.SetWatches(sw.RelativeZxid, Paths(sw.DataWatches), Paths(sw.ExistWatches), Paths(sw.ChildWatches),
                        Paths(sw.PersistentWatches), Paths(sw.PersistentRecursiveWatches), cnxn);
                    break;
                }
                case OpCode.AddWatch:
                {
                    lastOp = "ADDW";
                    var add = Read<AddWatchRequest>(request);
                    zks.Tree.AddWatch(RequirePath(add.Path), cnxn, add.Mode);
                    rsp = new ErrorResponse(0);
                    break;
                }
                case OpCode.GetAcl:
                    lastOp = "GETA";
                    rsp = GetAcl(Read<GetACLRequest>(request), request.AuthInfo);
                    break;
                case OpCode.GetChildren:
                    lastOp = "GETC";
                    rsp = GetChildren(Read<GetChildrenRequest>(request), cnxn, request.AuthInfo);
                    break;
                case OpCode.GetAllChildrenNumber:
                {
                    lastOp = "GETACN";
                    string path = RequirePath(Read<GetAllChildrenNumberRequest>(request).Path);
                    CheckReadable(path, Perms.Read, request.AuthInfo);
                    rsp = new GetAllChildrenNumberResponse(zks.Tree.GetAllChildrenNumber(path));
                    break;
                }
                case OpCode.GetChildren2:
                {
                    lastOp = "GETC";
                    var get = Read<GetChildren2Request>(request);
                    string path = RequirePath(get.Path);
                    CheckReadable(path, Perms.Read, request.AuthInfo);
                    var stat = new Stat();
                    var children = zks.Tree.GetChildren(path, stat, get.Watch ? cnxn : null);
                    rsp = new GetChildren2Response(children.Select(c => (string?)c).ToList(), stat);
                    break;
                }
                case OpCode.CheckWatches:
                {
                    lastOp = "CHKW";
                    var check = Read<CheckWatchesRequest>(request);
                    if (!zks.Tree.ContainsWatcher(RequirePath(check.Path), ToWatcherType(check.Type), cnxn))
                        throw new KeeperException(ErrorCode.NoWatcher, check.Path);
                    break;
                }
                case OpCode.RemoveWatches:
                {
                    lastOp = "REMW";
                    var remove = Read<RemoveWatchesRequest>(request);
                    if (!zks.Tree.RemoveWatch(RequirePath(remove.Path), ToWatcherType(remove.Type), cnxn))
                        throw new KeeperException(ErrorCode.NoWatcher, remove.Path);
                    break;
                }
                case OpCode.WhoAmI:
                    lastOp = "HOMI";
                    rsp = new WhoAmIResponse(request.AuthInfo.Select(ClientInfoOf).ToList());
                    break;
                case OpCode.GetEphemerals:
                {
                    lastOp = "GETE";
                    string? prefix = Read<GetEphemeralsRequest>(request).PrefixPath;
                    var all = zks.Tree.GetEphemerals(request.SessionId);
                    var list = string.IsNullOrWhiteSpace(prefix) || prefix.Trim() == "/"
                        ? all.Select(p => (string?)p).ToList()
                        : all.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => (string?)p).ToList();
                    rsp = new GetEphemeralsResponse(list);
                    break;
                }
            }
        }
        catch (KeeperException e) when (e.Code == ErrorCode.SessionMoved)
        {
            // A connection-level error: tear the connection down instead of answering.
            cnxn.SendCloseSession();
            return;
        }
        catch (KeeperException e)
        {
            err = e.Code;
            rsp = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Java answers anything else that goes wrong with MARSHALLINGERROR and carries on.
            LogFailed(request, e);
            err = ErrorCode.MarshallingError;
            rsp = null;
        }

        cnxn.RequestFinished(request, lastOp, lastZxid);
        // Clients parse a body only when err is 0, and Java sends none otherwise.
        cnxn.SendResponse(new ReplyHeader(request.Cxid, lastZxid, (int)err), err == ErrorCode.Ok ? rsp : null);
        if (request.Type == OpCode.CloseSession) cnxn.SendCloseSession();
    }

    private T Read<T>(Request request) where T : IJuteRecord<T> => request.ReadRecord<T>(zks.Limits);

    private static string RequirePath(string? path) => path ?? throw new ArgumentException("null path");

    private static IList<string> Paths(List<string?>? paths) =>
        paths is null ? [] : paths.Where(p => p is not null).Select(p => p!).ToList();

    private static WatcherType ToWatcherType(int type) => type switch
    {
        1 => WatcherType.Children,
        2 => WatcherType.Data,
        3 => WatcherType.Any,
        _ => throw new ArgumentException("Invalid watcher type: " + type),
    };

    private void CheckReadable(string path, Perms perm, IReadOnlyList<Id> ids)
    {
        var node = zks.Tree.GetNode(path) ?? throw new KeeperException(ErrorCode.NoNode);
        AclChecker.CheckAcl(zks.AuthProviders, zks.Tree.Acls.ConvertLong(node.AclRef), perm, ids, zks.Options.SkipAcl);
    }

    private GetDataResponse GetData(GetDataRequest get, IServerConnection cnxn, IReadOnlyList<Id> ids)
    {
        string path = RequirePath(get.Path);
        CheckReadable(path, Perms.Read, ids);
        var stat = new Stat();
        byte[]? data = zks.Tree.GetData(path, stat, get.Watch ? cnxn : null);
        return new GetDataResponse(data, stat);
    }

    private GetChildrenResponse GetChildren(GetChildrenRequest get, IServerConnection cnxn, IReadOnlyList<Id> ids)
    {
        string path = RequirePath(get.Path);
        CheckReadable(path, Perms.Read, ids);
        var children = zks.Tree.GetChildren(path, null, get.Watch ? cnxn : null);
        return new GetChildrenResponse(children.Select(c => (string?)c).ToList());
    }

    private GetACLResponse GetAcl(GetACLRequest get, IReadOnlyList<Id> ids)
    {
        string path = RequirePath(get.Path);
        var node = zks.Tree.GetNode(path) ?? throw new KeeperException(ErrorCode.NoNode);
        var nodeAcl = zks.Tree.Acls.ConvertLong(node.AclRef);
        AclChecker.CheckAcl(zks.AuthProviders, nodeAcl, Perms.Read | Perms.Admin, ids, zks.Options.SkipAcl);
        var stat = new Stat();
        var acl = zks.Tree.GetACL(path, stat);
        // Without ADMIN, digest ids are shown as user:x so the hashes do not leak.
        return new GetACLResponse(AclChecker.MaskForGetAcl(zks.AuthProviders, acl, ids, zks.Options.SkipAcl), stat);
    }

    // Java's AuthUtil.getClientInfos: the scheme's provider names the user; no provider (super, or
    // sasl without its authProvider) gives "".
    private ClientInfo ClientInfoOf(Id id) =>
        new(id.Scheme, zks.AuthProviders.Get(id.Scheme) is { } provider && id.IdValue is { } value ? provider.GetUserName(value) : "");

    private static MultiResponseBody MultiResults(ProcessTxnResult rc)
    {
        var results = new List<MultiResult>();
        foreach (var sub in rc.MultiResult ?? [])
        {
            results.Add((OpCode)sub.Type switch
            {
                OpCode.Check => new MultiResult(OpCode.Check, 0, null),
                OpCode.Create => new MultiResult(OpCode.Create, 0, new CreateResponse(sub.Path)),
                OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer =>
                    new MultiResult(OpCode.Create2, 0, new Create2Response(sub.Path, sub.Stat ?? new Stat())),
                OpCode.Delete or OpCode.DeleteContainer => new MultiResult(OpCode.Delete, 0, null),
                OpCode.SetData => new MultiResult(OpCode.SetData, 0, new SetDataResponse(sub.Stat ?? new Stat())),
                OpCode.Error when sub.Err == (int)ErrorCode.SessionMoved => throw new KeeperException(ErrorCode.SessionMoved),
                OpCode.Error => MultiResult.Error(sub.Err),
                _ => throw new InvalidOperationException("Invalid type of op"),
            });
        }
        return new MultiResponseBody(results);
    }

    private MultiResponseBody MultiRead(Request request, IServerConnection cnxn)
    {
        var reader = new JuteReader(request.Body, zks.Limits);
        var multi = MultiRequestBody.Read(ref reader);
        var results = new List<MultiResult>(multi.Ops.Count);
        foreach (var op in multi.Ops)
        {
            try
            {
                results.Add(op.Request switch
                {
                    GetChildrenRequest gc => new MultiResult(OpCode.GetChildren, 0, GetChildren(new GetChildrenRequest(gc.Path, false), cnxn, request.AuthInfo)),
                    GetDataRequest gd => new MultiResult(OpCode.GetData, 0, GetData(new GetDataRequest(gd.Path, false), cnxn, request.AuthInfo)),
                    _ => throw new InvalidOperationException("Invalid type of readOp"),
                });
            }
            catch (KeeperException e)
            {
                results.Add(MultiResult.Error((int)e.Code));
            }
        }
        return new MultiResponseBody(results);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to process {Request}")]
    private partial void LogFailed(Request request, Exception e);
}
