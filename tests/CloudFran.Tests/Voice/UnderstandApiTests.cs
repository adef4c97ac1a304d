using System.Net;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Xunit;

namespace CloudFran.Tests.Voice;

[Collection(VoiceCollection.Name)]
public sealed class UnderstandApiTests(MessagingFactory factory)
{
    [Fact]
    public async Task Understand_answers_intent_confidence_language_and_slots_and_validates()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var u = await (await client.PostJsonAsync("/v1/voice/understand", new { text = "Quiero una mesa para cuatro mañana a las 8 de la noche" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("MakeReservation", u.GetProperty("intent").GetString());
        Assert.Equal("es", u.GetProperty("language").GetString());
        Assert.InRange(u.GetProperty("confidence").GetDouble(), 0.5, 1);
        Assert.Equal("4", u.GetProperty("slots").GetProperty("partySize").GetString());
        Assert.Equal("20:00", u.GetProperty("slots").GetProperty("time").GetString());

        var plumbing = await (await client.PostJsonAsync("/v1/voice/understand", new { text = "my pipe is leaking", industry = "home_services" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("MakeReservation", plumbing.GetProperty("intent").GetString());

        await (await client.PostJsonAsync("/v1/voice/understand", new { text = "" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/voice/understand", new { text = "hi", language = "fr" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/voice/understand", new { text = new string('a', 2001) })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/voice/understand", new { text = "hi", locationId = "loc_doesnotexist" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }
}
