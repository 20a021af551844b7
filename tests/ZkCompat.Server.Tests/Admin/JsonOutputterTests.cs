using ZkCompat.Server.Admin;

namespace ZkCompat.Server.Tests.Admin;

/// <summary>The JSON text is Jackson's pretty print, byte for byte, as Java 3.8.0's AdminServer wrote it.</summary>
public class JsonOutputterTests
{
    [Test]
    public void Objects_in_arrays_and_maps_in_maps_indent_as_jackson_does()
    {
        // Shapes and text taken from a Java 3.8.0 answer (values shortened).
        var response = new CommandResponse("dump")
            .Put("connections", new[]
            {
                new OrderedDictionary<string, object?> { ["remote_socket_address"] = "127.0.0.1:36864", ["interest_ops"] = 0 },
                new OrderedDictionary<string, object?> { ["remote_socket_address"] = "127.0.0.1:36866", ["interest_ops"] = 1 },
            })
            .Put("secure_connections", Array.Empty<object>())
            .Put("expiry_time_to_session_ids", new OrderedDictionary<string, object?>
            {
                ["10246000"] = Array.Empty<long>(),
                ["10250000"] = new[] { 72058262948282368L, 5L },
            })
            .Put("empty", new OrderedDictionary<string, object?>())
            .Put("avg", new JsonNumber("9.7143"))
            .Put("real", 0.0)
            .Put("flag", true);
        Assert.That(JsonOutputter.Write(response), Is.EqualTo(
            "{\n" +
            "  \"connections\" : [ {\n" +
            "    \"remote_socket_address\" : \"127.0.0.1:36864\",\n" +
            "    \"interest_ops\" : 0\n" +
            "  }, {\n" +
            "    \"remote_socket_address\" : \"127.0.0.1:36866\",\n" +
            "    \"interest_ops\" : 1\n" +
            "  } ],\n" +
            "  \"secure_connections\" : [ ],\n" +
            "  \"expiry_time_to_session_ids\" : {\n" +
            "    \"10246000\" : [ ],\n" +
            "    \"10250000\" : [ 72058262948282368, 5 ]\n" +
            "  },\n" +
            "  \"empty\" : { },\n" +
            "  \"avg\" : 9.7143,\n" +
            "  \"real\" : 0.0,\n" +
            "  \"flag\" : true,\n" +
            "  \"command\" : \"dump\",\n" +
            "  \"error\" : null\n" +
            "}"));
    }

    [Test]
    public void Strings_escape_quotes_backslashes_and_control_characters_only()
    {
        Assert.That(JsonOutputter.Write("a\"b\\c\nd\te\u0001/é"), Is.EqualTo("\"a\\\"b\\\\c\\nd\\te\\u0001/é\""));
    }

    [Test]
    public void A_commands_own_error_keeps_its_place_and_command_follows()
    {
        var refused = new CommandResponse("set_trace_mask").Put("error", "setTraceMask requires long traceMask argument");
        Assert.That(refused.ToMap().Keys, Is.EqualTo(new[] { "error", "command" }));
        Assert.That(refused.ToMap()["error"], Is.EqualTo("setTraceMask requires long traceMask argument"));

        var unknown = new CommandResponse("nope", "Unknown command: nope");
        Assert.That(unknown.ToMap().Keys, Is.EqualTo(new[] { "command", "error" }));
    }

    [Test]
    public void Mntr_values_become_numbers_where_they_read_as_numbers()
    {
        Assert.That(JsonNumber.FromText("42"), Is.EqualTo(42L));
        Assert.That(JsonNumber.FromText("-1"), Is.EqualTo(-1L));
        Assert.That(JsonNumber.FromText("0.5"), Is.EqualTo(new JsonNumber("0.5")));
        Assert.That(JsonNumber.FromText("1.0E-4"), Is.EqualTo(new JsonNumber("1.0E-4")));
        Assert.That(JsonNumber.FromText("leading - broadcast"), Is.EqualTo("leading - broadcast"));
        Assert.That(JsonNumber.FromText("NaN"), Is.EqualTo("NaN"));
    }
}
