using System.Text;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Auth;

/// <summary>
/// ACL decisions with Java's rules: <c>ZooKeeperServer.checkACL</c>, <c>PrepRequestProcessor.fixupACL</c>
/// and the digest masking FinalRequestProcessor applies to getACL (present since 3.8.0).
/// </summary>
public static class AclChecker
{
    /// <summary>
    /// Allows the operation or throws NOAUTH. Allowed when ACLs are skipped, the node's ACL is null or
    /// empty, the connection holds a <c>super</c> id, or an entry granting any bit of <paramref name="perm"/>
    /// is <c>world:anyone</c> or matches one of the connection's ids of its scheme.
    /// </summary>
    public static void CheckAcl(
        AuthenticationProviders providers,
        IReadOnlyList<ACL>? acl,
        Perms perm,
        IReadOnlyList<Id> ids,
        bool skipAcl,
        string? path = null)
    {
        if (!IsAllowed(providers, acl, perm, ids, skipAcl)) throw new KeeperException(ErrorCode.NoAuth, path);
    }

    /// <summary><see cref="CheckAcl"/> as a test, for callers that branch instead of failing.</summary>
    public static bool IsAllowed(AuthenticationProviders providers, IReadOnlyList<ACL>? acl, Perms perm, IReadOnlyList<Id> ids, bool skipAcl)
    {
        if (skipAcl || acl is null || acl.Count == 0) return true;
        foreach (var id in ids)
        {
            if (id.Scheme == "super") return true;
        }
        foreach (var entry in acl)
        {
            if ((entry.Perms & (int)perm) == 0) continue;
            string? scheme = entry.Id.Scheme;
            string? expr = entry.Id.IdValue;
            if (scheme == "world" && expr == "anyone") return true;
            var provider = providers.Get(scheme);
            if (provider is null || expr is null) continue;
            foreach (var id in ids)
            {
                if (id.Scheme == scheme && id.IdValue is { } value && provider.Matches(value, expr)) return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Validates and expands the ACL of a create or setACL: duplicates are dropped; a null or empty list,
    /// an unknown scheme or a malformed id is INVALIDACL; each <c>auth</c> entry becomes one entry per
    /// authenticated id of the connection (none ⇒ INVALIDACL). The result shares no objects with the inputs.
    /// </summary>
    public static List<ACL> FixupAcl(AuthenticationProviders providers, string path, IReadOnlyList<Id> ids, List<ACL>? acl)
    {
        var unique = RemoveDuplicates(acl);
        if (unique.Count == 0) throw new KeeperException(ErrorCode.InvalidAcl, path);
        var result = new List<ACL>(unique.Count);
        foreach (var entry in unique)
        {
            if (entry?.Id?.Scheme is not { } scheme) throw new KeeperException(ErrorCode.InvalidAcl, path);
            string? expr = entry.Id.IdValue;
            if (scheme == "world" && expr == "anyone")
            {
                result.Add(Copy(entry.Perms, entry.Id));
            }
            else if (scheme == "auth")
            {
                bool expanded = false;
                foreach (var id in ids)
                {
                    if (providers.Get(id.Scheme) is { IsAuthenticated: true })
                    {
                        expanded = true;
                        result.Add(Copy(entry.Perms, id));
                    }
                }
                if (!expanded) throw new KeeperException(ErrorCode.InvalidAcl, path);
            }
            else
            {
                var provider = providers.Get(scheme);
                if (provider is null || expr is null || !provider.IsValid(expr)) throw new KeeperException(ErrorCode.InvalidAcl, path);
                result.Add(Copy(entry.Perms, entry.Id));
            }
        }
        return result;
    }

    /// <summary>
    /// The ACL a getACL reply carries: as stored when the caller has ADMIN on the node, otherwise with
    /// each digest id's hash hidden (<c>bob:fyVm…</c> ⇒ <c>bob:x</c>). The caller has already passed the
    /// READ|ADMIN check. The stored entries are never modified.
    /// </summary>
    public static List<ACL> MaskForGetAcl(AuthenticationProviders providers, IReadOnlyList<ACL> acl, IReadOnlyList<Id> ids, bool skipAcl)
    {
        if (IsAllowed(providers, acl, Perms.Admin, ids, skipAcl)) return [.. acl];
        var masked = new List<ACL>(acl.Count);
        foreach (var entry in acl)
        {
            masked.Add(entry.Id.Scheme == "digest"
                ? new ACL(entry.Perms, new Id(entry.Id.Scheme, MaskDigest(entry.Id.IdValue)))
                : entry);
        }
        return masked;
    }

    /// <summary>
    /// Java's <c>id.replaceAll(":.*", ":x")</c>: every ':' and the rest of its line become ":x"
    /// ('.' stops at \n, \r, U+0085, U+2028 and U+2029).
    /// </summary>
    public static string? MaskDigest(string? id)
    {
        if (id is null || !id.Contains(':')) return id;
        var sb = new StringBuilder(id.Length);
        int i = 0;
        while (i < id.Length)
        {
            char c = id[i++];
            if (c != ':')
            {
                sb.Append(c);
                continue;
            }
            sb.Append(":x");
            while (i < id.Length && !IsLineTerminator(id[i])) i++;
        }
        return sb.ToString();
    }

    private static bool IsLineTerminator(char c) => c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029';

    private static List<ACL> RemoveDuplicates(List<ACL>? acl)
    {
        var unique = new List<ACL>();
        if (acl is null) return unique;
        foreach (var entry in acl)
        {
            if (!unique.Contains(entry)) unique.Add(entry);
        }
        return unique;
    }

    private static ACL Copy(int perms, Id id) => new(perms, new Id(id.Scheme, id.IdValue));
}
