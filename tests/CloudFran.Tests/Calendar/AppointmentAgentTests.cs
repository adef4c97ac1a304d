using System.Net;
using CloudFran.Grains.Calendar;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Calendar;

public sealed class BookingLanguageTests
{
    private static readonly DateOnly Monday = new(2026, 11, 23);
    private static readonly string[] Services = ["Haircut", "Beard trim", "Corte"];

    [Theory]
    [InlineData("Haircut next Tuesday at 2pm", "2026-11-24", "14:00", "Haircut")]
    [InlineData("haircut tomorrow at 10:30", "2026-11-24", "10:30", "Haircut")]
    [InlineData("Beard trim on Friday at half past 3", "2026-11-27", "15:30", "Beard trim")]
    [InlineData("Can I get a haircut on December 3 at noon?", "2026-12-03", "12:00", "Haircut")]
    [InlineData("haircut 2026-12-10 14:45", "2026-12-10", "14:45", "Haircut")]
    [InlineData("haircut monday at 9 am", "2026-11-30", "09:00", "Haircut")]
    [InlineData("Quiero un corte mañana a las 3 de la tarde", "2026-11-24", "15:00", "Corte")]
    [InlineData("corte el próximo martes a las 10 de la mañana", "2026-11-24", "10:00", "Corte")]
    [InlineData("corte el 5 de diciembre a las 4 y media", "2026-12-05", "16:30", "Corte")]
    [InlineData("un corte pasado mañana al mediodía", "2026-11-25", "12:00", "Corte")]
    [InlineData("haircut today at 7", "2026-11-23", "19:00", "Haircut")]
    public void Understands_dates_times_and_services(string text, string date, string time, string service)
    {
        var intent = BookingLanguage.Parse(text, Monday, Services);
        Assert.Equal(DateOnly.Parse(date), intent.Date);
        Assert.Equal(TimeOnly.Parse(time), intent.Time);
        Assert.Equal(service, intent.Service);
    }

    [Theory]
    [InlineData("haircut tomorrow morning", "2026-11-24", 8)]
    [InlineData("corte el viernes por la tarde", "2026-11-27", 12)]
    [InlineData("beard trim wednesday evening", "2026-11-25", 17)]
    public void Understands_parts_of_the_day(string text, string date, int fromHour)
    {
        var intent = BookingLanguage.Parse(text, Monday, Services);
        Assert.Equal(DateOnly.Parse(date), intent.Date);
        Assert.Null(intent.Time);
        Assert.Equal(fromHour, intent.PartOfDay!.Value.From.Hour);
    }
}

[Collection(CalendarCollection.Name)]
public sealed class AppointmentAgentTests(PlatformFactory factory)
{
    [Fact]
    public async Task The_agent_books_what_was_asked_or_answers_with_alternatives()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var week = new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }
            .ToDictionary(d => d, _ => new[] { new { open = "09:00", close = "18:00" } });
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Barber", address = new { street = "3 Oak St", city = "Phoenix", country = "US" }, timezone = "America/Phoenix", hours = week,
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString();
        await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = "Sam", kind = "chair" })).JsonAsync(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId, name = "Haircut", durationMinutes = 30 })).JsonAsync(HttpStatusCode.Created);

        var result = await (await client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Jo", phone = "+16025550101", request = "Haircut next Tuesday at 2pm",
        })).JsonAsync(HttpStatusCode.Created);
        var start = result.GetProperty("appointment").GetProperty("start").GetDateTimeOffset();
        Assert.Equal(DayOfWeek.Tuesday, start.DayOfWeek);
        Assert.Equal(14, start.Hour);
        Assert.Equal(TimeSpan.FromHours(-7), start.Offset);
        Assert.Equal(3, result.GetProperty("appointment").GetProperty("bookingMethod").GetInt32());
        Assert.Equal("Haircut", result.GetProperty("understood").GetProperty("serviceType").GetString());

        // The same time again is taken: alternatives, nothing invented.
        var conflict = await (await client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Al", phone = "+16025550102", request = "haircut next tuesday at 2 pm",
        })).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        Assert.NotEmpty(conflict.GetProperty("alternatives").EnumerateArray());

        // A part of the day books the earliest free slot in it.
        var morning = await (await client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Bo", phone = "+16025550103", request = "corte el próximo martes por la tarde", serviceType = "Haircut",
        })).JsonAsync(HttpStatusCode.Created);
        var afternoon = morning.GetProperty("appointment").GetProperty("start").GetDateTimeOffset();
        Assert.Equal(DayOfWeek.Tuesday, afternoon.DayOfWeek);
        Assert.Equal(12, afternoon.Hour);

        await (await client.PostJsonAsync("/v1/agents/appointments", new { customerName = "X", phone = "bad", request = "haircut" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/agents/appointments", new { customerName = "X", phone = "+16025550104" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
    }
}
