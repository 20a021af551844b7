namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// A SASL exchange failed the way Java's <c>javax.security.sasl.SaslException</c> reports it: the
/// client is told AUTHFAILED (or SESSIONCLOSEDREQUIRESASLAUTH) unless failed clients are allowed.
/// </summary>
public sealed class SaslException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A client token that makes Java's SASL server throw a runtime exception (a bad number, a malformed
/// principal): Java answers nothing and drops the connection, and so does this server.
/// </summary>
public sealed class SaslProtocolException(string message, Exception? inner = null) : Exception(message, inner);
