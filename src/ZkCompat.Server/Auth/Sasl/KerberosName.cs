namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// The one part of Java's <c>KerberosName</c> the sasl scheme needs: which names it accepts. A name is
/// <c>service[/host]@REALM</c> (no further '/' or '@'), or any name without '@' at all. Short-name
/// (auth_to_local) rules are not implemented.
/// </summary>
public static class KerberosName
{
    public static bool IsValid(string name)
    {
        int at = name.IndexOf('@');
        if (at < 0) return true;
        // Exactly one '@'; before it at most one '/'; after it neither.
        if (name.IndexOf('@', at + 1) >= 0 || name.IndexOf('/', at + 1) >= 0) return false;
        int slash = name.IndexOf('/');
        return slash < 0 || name.IndexOf('/', slash + 1) < 0;
    }
}
