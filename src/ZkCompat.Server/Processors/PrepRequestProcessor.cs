using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Auth;
using ZkCompat.Server.Data;
using TxnRecord = ZkCompat.Protocol.Txn.Txn;

namespace ZkCompat.Server.Processors;

/// <summary>
/// First stage (Java's <c>PrepRequestProcessor</c>): checks each write against the tree plus the
/// outstanding changes, and turns it into a txn with the next zxid. A write that fails its checks
/// still becomes a txn (an error txn) so the client's replies keep their order. Reads only have
/// their session checked here. Single thread: zxids are assigned in queue order.
/// </summary>
public sealed partial class PrepRequestProcessor
{
    private readonly ZooKeeperServer _zks;
    private readonly Channel<Request> _queue;
    private readonly Func<Request, ValueTask> _next;
    private readonly ILogger _log;

    public PrepRequestProcessor(ZooKeeperServer zks, int capacity, Func<Request, ValueTask> next, ILogger log)
    {
        _zks = zks;
        _next = next;
        _log = log;
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(capacity) { SingleReader = true });
    }

    /// <summary>Queues a request; waits when the queue is full (back-pressure on the reader).</summary>
    public ValueTask EnqueueAsync(Request request, CancellationToken ct) => _queue.Writer.WriteAsync(request, ct);

    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken ct)
    {
        await foreach (var request in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            PRequest(request);
            await _next(request).ConfigureAwait(false);
        }
    }

    /// <summary>Prepares one request (public for tests that drive the chain synchronously).</summary>
    public void PRequest(Request request)
    {
        request.Header = null;
        request.Txn = null;
        try
        {
            switch (request.Type)
            {
                case OpCode.Create:
                case OpCode.Create2:
                case OpCode.CreateContainer:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<CreateRequest>(_zks.Limits));
                    break;
                case OpCode.CreateTtl:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<CreateTTLRequest>(_zks.Limits));
                    break;
                case OpCode.Delete:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<DeleteRequest>(_zks.Limits));
                    break;
                case OpCode.DeleteContainer:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, null);
                    break;
                case OpCode.SetData:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<SetDataRequest>(_zks.Limits));
                    break;
                case OpCode.Reconfig:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<ReconfigRequest>(_zks.Limits));
                    break;
                case OpCode.SetAcl:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<SetACLRequest>(_zks.Limits));
                    break;
                case OpCode.Check:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, request.ReadRecord<CheckVersionRequest>(_zks.Limits));
                    break;
                case OpCode.Multi:
                    PrepareMulti(request);
                    break;
                case OpCode.CreateSession:
                case OpCode.CloseSession:
                    PRequest2Txn(request.Type, _zks.NextZxid(), request, null);
                    break;
                case OpCode.Sync:
                case OpCode.Exists:
                case OpCode.GetData:
                case OpCode.GetAcl:
                case OpCode.GetChildren:
                case OpCode.GetAllChildrenNumber:
                case OpCode.GetChildren2:
                case OpCode.Ping:
                case OpCode.SetWatches:
                case OpCode.SetWatches2:
                case OpCode.CheckWatches:
                case OpCode.RemoveWatches:
                case OpCode.GetEphemerals:
                case OpCode.MultiRead:
                case OpCode.AddWatch:
                case OpCode.WhoAmI:
                    _zks.Sessions.CheckSession(request.SessionId, request.Owner);
                    break;
                default:
                    LogUnknownType(request.Type);
                    break;
            }
        }
        catch (KeeperException e)
        {
            if (request.Header is not null)
            {
                request.Header.Type = (int)OpCode.Error;
                request.Txn = new ErrorTxn((int)e.Code);
            }
            if ((int)e.Code <= (int)ErrorCode.ApiError) LogUserError(request, e.Path, e.Message);
            request.Exception = e;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Java answers a request it cannot decode with MARSHALLINGERROR.
            LogMarshallingError(request, e);
            if (request.Header is not null)
            {
                request.Header.Type = (int)OpCode.Error;
                request.Txn = new ErrorTxn((int)ErrorCode.MarshallingError);
            }
            request.Exception = new KeeperException(ErrorCode.MarshallingError);
        }
        request.Zxid = _zks.Zxid;
    }

    private void PrepareMulti(Request request)
    {
        MultiRequestBody multi;
        try
        {
            var reader = new JuteReader(request.Body, _zks.Limits);
            multi = MultiRequestBody.Read(ref reader);
        }
        catch (JuteException)
        {
            request.Header = NewHeader(request, _zks.NextZxid(), OpCode.Multi);
            throw;
        }

        // Every op of a multi shares one zxid.
        long zxid = _zks.NextZxid();
        var replaced = PendingChangesFor(multi);
        request.Header = NewHeader(request, zxid, OpCode.Multi);
        var txns = new List<TxnRecord>(multi.Ops.Count);
        KeeperException? failure = null;
        foreach (var op in multi.Ops)
        {
            OpCode type;
            IJuteRecord txn;
            if (failure is not null)
            {
                type = OpCode.Error;
                txn = new ErrorTxn((int)ErrorCode.RuntimeInconsistency);
            }
            else
            {
                try
                {
                    type = NormalizeMultiOpType(op);
                    PRequest2Txn(type, zxid, request, op.Request);
                    txn = request.Txn!;
                }
                catch (KeeperException e)
                {
                    failure = e;
                    type = OpCode.Error;
                    txn = new ErrorTxn((int)e.Code);
                    if ((int)e.Code <= (int)ErrorCode.ApiError) LogUserError(request, e.Path, e.Message);
                    request.Exception = e;
                    _zks.Outstanding.Rollback(zxid, replaced);
                }
            }
            txns.Add(new TxnRecord((int)type, JuteSerializer.ToArray(txn)));
        }
        request.Txn = new MultiTxn(txns);
    }

    /// <summary>
    /// Java 3.8.0 rebuilds each create op from its flags, so create2 inside a multi becomes a
    /// plain create (no Stat in the result) and container/TTL flags pick their own opcode.
    /// </summary>
    private static OpCode NormalizeMultiOpType(MultiOp op)
    {
        if (op.Type is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer && op.Request is CreateRequest create)
        {
            var mode = CreateModeExtensions.TryFromFlag(create.Flags, out var m) ? m : CreateMode.Persistent;
            return mode.IsTtl() ? OpCode.CreateTtl : mode.IsContainer() ? OpCode.CreateContainer : OpCode.Create;
        }
        return op.Type;
    }

    private Dictionary<string, ChangeRecord> PendingChangesFor(MultiRequestBody multi)
    {
        var pending = new Dictionary<string, ChangeRecord>(StringComparer.Ordinal);
        foreach (var op in multi.Ops)
        {
            string? path = op.Path;
            if (path is null) continue;
            if (_zks.Outstanding.Get(path) is { } change) pending[path] = change;
            // The parent's record too, so a rolled-back sequential create does not skip a number.
            int slash = path.LastIndexOf('/');
            if (slash < 0 || path.Contains('\0')) continue;
            string parent = ParentKey(path[..slash]);
            if (_zks.Outstanding.Get(parent) is { } parentChange) pending[parent] = parentChange;
        }
        return pending;
    }

    private TxnHeader NewHeader(Request request, long zxid, OpCode type) =>
        new(request.SessionId, request.Cxid, zxid, _zks.Time.GetUtcNow().ToUnixTimeMilliseconds(), (int)type);

    private void PRequest2Txn(OpCode type, long zxid, Request request, IJuteRecord? record)
    {
        request.Header ??= NewHeader(request, zxid, type);
        switch (type)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                PrepareCreate(type, request, record!);
                break;
            case OpCode.DeleteContainer:
                PrepareDelete(request, Encoding.UTF8.GetString(request.Body.Span), -1, container: true);
                break;
            case OpCode.Delete:
            {
                _zks.Sessions.CheckSession(request.SessionId, request.Owner);
                var delete = (DeleteRequest)record!;
                PrepareDelete(request, delete.Path ?? throw new KeeperException(ErrorCode.BadArguments), delete.Version, container: false);
                break;
            }
            case OpCode.SetData:
            {
                _zks.Sessions.CheckSession(request.SessionId, request.Owner);
                var setData = (SetDataRequest)record!;
                string path = ValidatePath(setData.Path, request.SessionId);
                var node = GetRecordForPath(path);
                CheckAcl(node.Acl, Perms.Write, request.AuthInfo);
                QuotaChecker.CheckQuota(_zks.Tree, _zks.Options, path, node.Data, setData.Data, OpCode.SetData, _log);
                int newVersion = CheckAndIncVersion(node.Stat!.Version, setData.Version, path);
                request.Txn = new SetDataTxn(path, setData.Data, newVersion);
                var changed = node.Duplicate(request.Header.Zxid);
                changed.Stat!.Version = newVersion;
                changed.Stat.Mtime = request.Header.Time;
                changed.Stat.Mzxid = zxid;
                changed.Data = setData.Data;
                _zks.Outstanding.Add(changed);
                break;
            }
            case OpCode.Reconfig:
                if (!_zks.Options.ReconfigEnabled) throw new KeeperException(ErrorCode.ReconfigDisabled);
                _zks.Sessions.CheckSession(request.SessionId, request.Owner);
                // Standalone (and learners, which forward it): reconfiguration is the leader's (Java: UnimplementedException).
                if (_zks.Role.PrepareReconfig is not { } prepareReconfig) throw new KeeperException(ErrorCode.Unimplemented);
                string configText = prepareReconfig((ReconfigRequest)record!, zxid);
                var configNode = GetRecordForPath(SpecialPaths.Config);
                CheckAcl(configNode.Acl, Perms.Write, request.AuthInfo);
                byte[] configData = System.Text.Encoding.UTF8.GetBytes(configText);
                request.Txn = new SetDataTxn(SpecialPaths.Config, configData, -1);
                var reconfigured = configNode.Duplicate(request.Header.Zxid);
                reconfigured.Stat!.Version = -1;
                reconfigured.Stat.Mtime = request.Header.Time;
                reconfigured.Stat.Mzxid = zxid;
                reconfigured.Data = configData;
                _zks.Outstanding.Add(reconfigured);
                break;
            case OpCode.SetAcl:
            {
                _zks.Sessions.CheckSession(request.SessionId, request.Owner);
                var setAcl = (SetACLRequest)record!;
                string path = ValidatePath(setAcl.Path, request.SessionId);
                var acl = AclChecker.FixupAcl(_zks.AuthProviders, path, request.AuthInfo, setAcl.Acl);
                var node = GetRecordForPath(path);
                CheckAcl(node.Acl, Perms.Admin, request.AuthInfo);
                int newVersion = CheckAndIncVersion(node.Stat!.Aversion, setAcl.Version, path);
                request.Txn = new SetACLTxn(path, acl, newVersion);
                var changed = node.Duplicate(request.Header.Zxid);
                changed.Stat!.Aversion = newVersion;
                _zks.Outstanding.Add(changed);
                break;
            }
            case OpCode.CreateSession:
            {
                var reader = new JuteReader(request.Body, _zks.Limits);
                int timeout = reader.ReadInt();
                request.Txn = new CreateSessionTxn(timeout);
                _zks.Sessions.TrackSession(request.SessionId, timeout);
                _zks.Sessions.SetOwner(request.SessionId, request.Owner);
                break;
            }
            case OpCode.CloseSession:
                PrepareCloseSession(request);
                break;
            case OpCode.Check:
            {
                _zks.Sessions.CheckSession(request.SessionId, request.Owner);
                var check = (CheckVersionRequest)record!;
                string path = ValidatePath(check.Path, request.SessionId);
                var node = GetRecordForPath(path);
                CheckAcl(node.Acl, Perms.Read, request.AuthInfo);
                request.Txn = new CheckVersionTxn(path, CheckAndIncVersion(node.Stat!.Version, check.Version, path));
                break;
            }
            default:
                LogUnknownType(type);
                break;
        }
    }

    private void PrepareCreate(OpCode type, Request request, IJuteRecord record)
    {
        string? path;
        int flags;
        List<ACL>? aclIn;
        byte[]? data;
        long ttl;
        if (record is CreateTTLRequest ttlRequest)
        {
            (path, flags, aclIn, data, ttl) = (ttlRequest.Path, ttlRequest.Flags, ttlRequest.Acl, ttlRequest.Data, ttlRequest.Ttl);
        }
        else if (record is CreateRequest create)
        {
            (path, flags, aclIn, data, ttl) = (create.Path, create.Flags, create.Acl, create.Data, -1);
        }
        else
        {
            throw new KeeperException(ErrorCode.MarshallingError);
        }
        if (path is null) throw new KeeperException(ErrorCode.BadArguments);
        if (!CreateModeExtensions.TryFromFlag(flags, out var mode)) throw new KeeperException(ErrorCode.BadArguments, path);

        ValidateCreateRequest(path, mode, request, ttl);
        string parentPath = ValidatePathForCreate(path);
        var acl = AclChecker.FixupAcl(_zks.AuthProviders, path, request.AuthInfo, aclIn);
        var parent = GetRecordForPath(parentPath);
        CheckAcl(parent.Acl, Perms.Create, request.AuthInfo);
        int parentCversion = parent.Stat!.Cversion;
        if (mode.IsSequential()) path += FormatSequence(parentCversion);
        ValidatePath(path, request.SessionId);
        try
        {
            GetRecordForPath(path);
            throw new KeeperException(ErrorCode.NodeExists, path);
        }
        catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
        {
        }
        if (EphemeralTypes.Get(parent.Stat.EphemeralOwner, _zks.Options.ExtendedTypesEnabled) == EphemeralType.Normal)
            throw new KeeperException(ErrorCode.NoChildrenForEphemerals, path);

        int newCversion = parentCversion + 1;
        QuotaChecker.CheckQuota(_zks.Tree, _zks.Options, path, null, data, OpCode.Create, _log);
        request.Txn = type switch
        {
            OpCode.CreateContainer => new CreateContainerTxn(path, data, acl, newCversion),
            OpCode.CreateTtl => new CreateTTLTxn(path, data, acl, newCversion, ttl),
            _ => new CreateTxn(path, data, acl, mode.IsEphemeral(), newCversion),
        };

        var header = request.Header!;
        long owner = mode.IsContainer() ? EphemeralTypes.ContainerEphemeralOwner
            : mode.IsTtl() ? EphemeralTypes.TtlToEphemeralOwner(ttl)
            : mode.IsEphemeral() ? request.SessionId
            : 0;
        var stat = new StatPersisted(header.Zxid, header.Zxid, header.Time, header.Time, 0, 0, 0, owner, header.Zxid);
        var changedParent = parent.Duplicate(header.Zxid);
        changedParent.ChildCount++;
        changedParent.Stat!.Cversion = newCversion;
        changedParent.Stat.Pzxid = header.Zxid;
        _zks.Outstanding.Add(changedParent);
        _zks.Outstanding.Add(new ChangeRecord(header.Zxid, path, stat, 0, acl) { Data = data });
    }

    /// <summary>Java's <c>String.format("%010d", n)</c>: ten digits, or a sign and nine.</summary>
    internal static string FormatSequence(int n) =>
        n < 0 ? "-" + (-(long)n).ToString(CultureInfo.InvariantCulture).PadLeft(9, '0')
              : n.ToString("D10", CultureInfo.InvariantCulture);

    private void ValidateCreateRequest(string path, CreateMode mode, Request request, long ttl)
    {
        if (mode.IsTtl() && !_zks.Options.ExtendedTypesEnabled) throw new KeeperException(ErrorCode.Unimplemented);
        if (mode.IsTtl() ? !EphemeralTypes.IsValidTtl(ttl) : ttl >= 0) throw new KeeperException(ErrorCode.BadArguments, path);
        // Ephemerals need a global session; standalone sessions are all global.
        _zks.Sessions.CheckSession(request.SessionId, request.Owner);
    }

    private void PrepareDelete(Request request, string path, int version, bool container)
    {
        string parentPath = GetParentPathAndValidate(path);
        var parent = GetRecordForPath(parentPath);
        var node = GetRecordForPath(path);
        if (container)
        {
            if (node.ChildCount > 0) throw new KeeperException(ErrorCode.NotEmpty, path);
            if (EphemeralTypes.Get(node.Stat!.EphemeralOwner, _zks.Options.ExtendedTypesEnabled) == EphemeralType.Normal)
                throw new KeeperException(ErrorCode.BadVersion, path);
        }
        else
        {
            CheckAcl(parent.Acl, Perms.Delete, request.AuthInfo);
            CheckAndIncVersion(node.Stat!.Version, version, path);
            if (node.ChildCount > 0) throw new KeeperException(ErrorCode.NotEmpty, path);
        }
        long zxid = request.Header!.Zxid;
        request.Txn = new DeleteTxn(path);
        var changedParent = parent.Duplicate(zxid);
        changedParent.ChildCount--;
        changedParent.Stat!.Pzxid = zxid;
        _zks.Outstanding.Add(changedParent);
        _zks.Outstanding.Add(new ChangeRecord(zxid, path, null, -1, null));
    }

    private void PrepareCloseSession(Request request)
    {
        // No session check: the expiry thread queues this without owning the session.
        long zxid = request.Header!.Zxid;
        var ephemerals = new HashSet<string>(_zks.Tree.GetEphemerals(request.SessionId), StringComparer.Ordinal);
        foreach (var change in _zks.Outstanding.ToList())
        {
            if (change.Stat is null) ephemerals.Remove(change.Path);
            else if (change.Stat.EphemeralOwner == request.SessionId) ephemerals.Add(change.Path);
        }
        foreach (string path in ephemerals)
            _zks.Outstanding.Add(new ChangeRecord(zxid, path, null, 0, null));
        request.Txn = new CloseSessionTxn([.. ephemerals]);
        _zks.Sessions.SetSessionClosing(request.SessionId);
    }

    private ChangeRecord GetRecordForPath(string path)
    {
        string key = ParentKey(path);
        var change = _zks.Outstanding.Get(key);
        if (change is null && _zks.Tree.GetNode(key) is { } node)
        {
            change = new ChangeRecord(-1, key, node.CopyStatPersisted(), node.ChildCount, _zks.Tree.Acls.ConvertLong(node.AclRef))
            {
                Data = node.Data,
            };
        }
        if (change?.Stat is null) throw new KeeperException(ErrorCode.NoNode, path);
        return change;
    }

    /// <summary>Java keys the root as ""; here it is "/".</summary>
    private static string ParentKey(string path) => path.Length == 0 ? "/" : path;

    private void CheckAcl(IReadOnlyList<ACL>? acl, Perms perm, IReadOnlyList<Id> ids) =>
        AclChecker.CheckAcl(_zks.AuthProviders, acl, perm, ids, _zks.Options.SkipAcl);

    private string ValidatePath(string? path, long sessionId)
    {
        string? reason = PathValidation.Validate(path);
        if (reason is not null)
        {
            LogInvalidPath(path, sessionId, reason);
            throw new KeeperException(ErrorCode.BadArguments, path);
        }
        return path!;
    }

    private static string ValidatePathForCreate(string path)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || path.Contains('\0')) throw new KeeperException(ErrorCode.BadArguments, path);
        return ParentKey(path[..slash]);
    }

    private static string GetParentPathAndValidate(string path)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || path.Contains('\0') || SpecialPaths.IsSpecialPath(path))
            throw new KeeperException(ErrorCode.BadArguments, path);
        return ParentKey(path[..slash]);
    }

    private static int CheckAndIncVersion(int current, int expected, string path)
    {
        if (expected != -1 && expected != current) throw new KeeperException(ErrorCode.BadVersion, path);
        return current + 1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "unknown type {Type}")]
    private partial void LogUnknownType(OpCode type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Got user-level KeeperException when processing {Request} Error Path:{Path} Error:{Error}")]
    private partial void LogUserError(Request request, string? path, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to process {Request}")]
    private partial void LogMarshallingError(Request request, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invalid path {Path} with session 0x{SessionId:x}, reason: {Reason}")]
    private partial void LogInvalidPath(string? path, long sessionId, string reason);
}
