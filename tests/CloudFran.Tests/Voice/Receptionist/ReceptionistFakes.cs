using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Voice;
using Microsoft.Extensions.Time.Testing;

namespace CloudFran.Tests.Voice.Receptionist;

/// <summary>A restaurant in Chicago on Friday 6 March 2026, 9:00 local time, and a call to it.</summary>
internal static class ReceptionistFakes
{
    public const string Caller = "+14155550101";
    public const string Called = "+14155550199";
    public const string Transfer = "+14155550142";
    public const string Notify = "+14155550177";
    public static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 6, 15, 0, 0, TimeSpan.Zero));

    public static DateTimeOffset Local(int day, int hour, int minute = 0) => new(2026, 3, day, hour, minute, 0, TimeSpan.FromHours(-6));

    public static ReceptionistSettings Settings(string? transfer = Transfer, int maxReprompts = 2) => ReceptionistSettings.Default with
    {
        BusinessName = "BigBurger",
        TransferNumber = transfer,
        NotificationPhone = Notify,
        ReservationService = "Table",
        MaxReprompts = maxReprompts,
        Faq = [new FaqEntry("Do you have parking?", "Yes, free parking behind the building.")],
        Menu =
        [
            new MenuItem("Cheeseburger", 8.99m, ["burger", "hamburguesa"]),
            new MenuItem("Fries", 3.49m, ["papas", "french fries"]),
            new MenuItem("Milkshake", 4.99m, ["shake", "malteada"]),
        ],
    };

    public static LocationView Location(bool openAllWeek = true)
    {
        var hours = new Dictionary<string, IReadOnlyList<OpenInterval>>();
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            if (openAllWeek || day != "sunday") hours[day] = [new OpenInterval("09:00", "23:00")];
        }
        return new LocationView("loc_1", "BigBurger Downtown", new Address("12 State St", "Chicago", "IL", "60601", "US"), null, hours, [],
            "America/Chicago", "active", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
    }

    public static IReadOnlyList<ServiceView> Services() => [new ServiceView("svc_1", "loc_1", "Table", 60, 0, 0, null, ["prv_1", "prv_2"])];

    public static ReceptionistCall Call(ReceptionistSettings? settings = null, IReadOnlyList<ServiceView>? services = null) =>
        new("CA1", Caller, Called, "loc_1", settings ?? Settings(), Location(), services ?? Services());
}

/// <summary>Records what the conversation did outside itself; understands with the offline engine.</summary>
internal sealed class FakeActions : IReceptionistActions
{
    public List<AvailabilityQuery> Queries { get; } = [];
    public List<BookingRequest> Holds { get; } = [];
    public List<(string ProviderId, string HoldId)> Released { get; } = [];
    public List<(string To, string Body, string Key)> Texts { get; } = [];
    public List<(string Type, object Payload, string DedupeKey)> Events { get; } = [];
    public List<(string? Name, string Body)> Messages { get; } = [];

    /// <summary>Free starts the calendar answers (local times are converted by the conversation).</summary>
    public List<DateTimeOffset> Free { get; } = [];
    public Exception? AvailabilityError { get; set; }
    public Exception? HoldError { get; set; }
    public bool CanText { get; set; } = true;

    public ValueTask<Understanding> UnderstandAsync(string text, EngineContext context) =>
        ValueTask.FromResult(OfflineConversationEngine.Understand(text, context));

    public Task<AvailabilityView> AvailabilityAsync(AvailabilityQuery query)
    {
        Queries.Add(query);
        if (AvailabilityError is { } error) throw error;
        return Task.FromResult(new AvailabilityView("loc_1", query.ServiceType, "America/Chicago",
            Free.Select(s => new AvailableSlot(s, s.AddHours(1), ["prv_1"])).ToList()));
    }

    public Task<AppointmentView> HoldAsync(BookingRequest request, int minutes)
    {
        Holds.Add(request);
        if (HoldError is { } error) throw error;
        return Task.FromResult(Appointment("hold_1", request, "held"));
    }

    public Task<AppointmentView> ConfirmHoldAsync(string providerId, string holdId, BookingRequest request) =>
        Task.FromResult(Appointment(holdId, request with { ProviderId = providerId }, "booked"));

    public Task ReleaseHoldAsync(string providerId, string holdId)
    {
        Released.Add((providerId, holdId));
        return Task.CompletedTask;
    }

    public Task<bool> TextAsync(string to, string body, string idempotencyKey)
    {
        Texts.Add((to, body, idempotencyKey));
        return Task.FromResult(CanText);
    }

    public Task<string> SaveMessageAsync(string? callerName, string body)
    {
        Messages.Add((callerName, body));
        return Task.FromResult("vmsg_1");
    }

    public Task AppendEventAsync(string type, object payload, string dedupeKey)
    {
        Events.Add((type, payload, dedupeKey));
        return Task.CompletedTask;
    }

    private static AppointmentView Appointment(string id, BookingRequest request, string status) =>
        new(id, "loc_1", request.ProviderId ?? "prv_1", request.ServiceType, request.Start, request.Start.AddHours(1), request.CustomerName,
            request.CustomerPhone, null, request.Notes, request.BookingMethod, false, null, null, DateTimeOffset.UnixEpoch, status,
            PartySize: request.PartySize);
}
