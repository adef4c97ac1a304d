using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;
using CloudFran.Grains.Voice;
using Xunit;
using static CloudFran.Tests.Voice.Receptionist.ReceptionistFakes;

namespace CloudFran.Tests.Voice.Receptionist;

public sealed class BookingConversationTests
{
    private readonly FakeActions _actions = new();
    private readonly CallState _state = new();

    private BookingConversation Booking(ReceptionistCall? call = null) => new(_state, call ?? Call(), _actions, Clock());

    private void Asked(string? date = "2026-03-07", string? time = "19:00", string? party = "4", string? name = "Ana")
    {
        if (date is not null) _state.Slots["date"] = date;
        if (time is not null) _state.Slots["time"] = time;
        if (party is not null) _state.Slots["partySize"] = party;
        if (name is not null) _state.Slots["name"] = name;
    }

    [Fact]
    public async Task Asks_for_what_is_missing_in_order()
    {
        Assert.Equal(new BookingStep("I'd be happy to help with a reservation. What day and time would you like?"), await Booking().NextAsync());
        Assert.Equal("datetime", _state.Pending);
        Assert.Equal(VoiceIntents.MakeReservation, _state.Intent);
        Asked(party: null, name: null);
        Assert.Equal(new BookingStep("For how many people?"), await Booking().NextAsync());
        Assert.Equal("partySize", _state.Pending);
        _state.Slots["partySize"] = "4";
        Assert.Equal(new BookingStep("And what name should I put the reservation under?"), await Booking().NextAsync());
        Assert.Equal("name", _state.Pending);
        _state.Language = "es";
        Assert.Equal(new BookingStep("¿Y a nombre de quién hago la reservación?"), await Booking().NextAsync());
        Assert.Empty(_actions.Queries);
    }

    [Fact]
    public async Task Holds_the_asked_slot_and_asks_to_confirm()
    {
        Asked();
        _actions.Free.AddRange([Local(7, 18), Local(7, 19), Local(7, 20)]);
        var step = await Booking().NextAsync();
        Assert.Equal(new BookingStep("I can book a reservation for 4 on Saturday, March 7 at 7:00 PM under Ana. Shall I confirm it?"), step);
        Assert.Equal(new AvailabilityQuery("Table", new DateOnly(2026, 3, 7), new DateOnly(2026, 3, 9), null, 4), Assert.Single(_actions.Queries));
        var hold = Assert.Single(_actions.Holds);
        Assert.Equal(Local(7, 19), hold.Start);
        Assert.Equal("Party of 4. Booked by the voice receptionist.", hold.Notes);
        Assert.Equal(4, hold.PartySize);
        Assert.Equal(("confirm_booking", "hold_1", 4, "Table"), (_state.Pending, _state.HoldId, _state.HoldPartySize, _state.OfferedService));
    }

    [Fact]
    public async Task Offers_the_two_nearest_times_when_the_asked_one_is_taken()
    {
        Asked(time: "19:30");
        _actions.Free.AddRange([Local(7, 17), Local(7, 19), Local(7, 20)]);
        Assert.Equal(new BookingStep("7:30 PM isn't available. I have 7:00 PM or 8:00 PM. Which would you like?"), await Booking().NextAsync());
        Assert.Equal("datetime", _state.Pending);
        Assert.False(_state.Slots.ContainsKey("time"));
        Assert.Empty(_actions.Holds);

        _state.Language = "es";
        _state.Slots["time"] = "19:30";
        Assert.Equal(new BookingStep("A las 19:30 no hay lugar. Tengo 19:00 o 20:00. ¿Cuál prefiere?"), await Booking().NextAsync());

        _actions.Free.Clear();
        _state.Language = "en";
        _state.Slots["time"] = "19:30";
        Assert.Equal(new BookingStep("I'm sorry, we're fully booked around then. Would another day work?"), await Booking().NextAsync());
    }

    [Fact]
    public async Task Without_a_time_offers_the_first_free_times_of_the_part_of_day()
    {
        Asked(time: null);
        _state.Slots["partOfDay"] = "17:00-21:00";
        _actions.Free.AddRange([Local(7, 12), Local(7, 17), Local(7, 18), Local(7, 19), Local(8, 17)]);
        Assert.Equal(new BookingStep("I have 5:00 PM or 6:00 PM. Which would you like?"), await Booking().NextAsync());
        Assert.Equal("datetime", _state.Pending);
    }

    [Fact]
    public async Task Schedule_errors_offer_a_message_and_a_taken_hold_asks_again()
    {
        Asked();
        _actions.AvailabilityError = CloudFranException.NotFound("Service");
        Assert.Equal(new BookingStep("I'm sorry, I couldn't check the schedule. Would you like to leave a message instead?"), await Booking().NextAsync());
        Assert.Equal("offer_message", _state.Pending);

        _actions.AvailabilityError = null;
        _actions.Free.Add(Local(7, 19));
        _actions.HoldError = new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "taken");
        Assert.Equal(new BookingStep("That time was just taken. What other time would work?"), await Booking().NextAsync());
        Assert.Equal("datetime", _state.Pending);
        Assert.False(_state.Slots.ContainsKey("time"));

        var noServices = Call(services: []);
        Assert.Equal(new BookingStep("I'm sorry, I can't make a reservation by phone right now. Would you like to leave a message for the team?"),
            await Booking(noServices).NextAsync());
    }

    [Fact]
    public async Task A_party_no_table_seats_is_asked_again_as_whole_tables()
    {
        Asked();
        _actions.Free.Add(Local(7, 19));
        _actions.AvailabilityError = CloudFranException.Invalid("partySize", "No provider seats 4.");
        var step = await Booking().NextAsync();
        Assert.Equal([4, 1], _actions.Queries.Select(q => q.PartySize));
        Assert.Equal(new BookingStep("I'm sorry, I couldn't check the schedule. Would you like to leave a message instead?"), step);
    }

    [Fact]
    public async Task Confirming_books_the_hold_records_it_and_texts_the_caller()
    {
        Asked();
        _actions.Free.Add(Local(7, 19));
        var booking = Booking();
        await booking.NextAsync();
        var done = await booking.ConfirmAsync();
        Assert.Equal(new BookingStep("You're all set for Saturday, March 7 at 7:00 PM. I've sent you a text confirmation.", Done: true), done);
        Assert.Equal("hold_1", _state.AppointmentId);
        Assert.Null(_state.HoldId);
        Assert.Contains(VoiceOutcomes.Booked, _state.Outcomes);
        var (type, _, key) = Assert.Single(_actions.Events);
        Assert.Equal(("voice.receptionist.booking_confirmed", "voice:CA1:booking:hold_1"), (type, key));
        Assert.Equal((Caller, "BigBurger: you're booked for Saturday, March 7 at 7:00 PM under Ana. Reply STOP to opt out.", "voice:CA1:booking"),
            Assert.Single(_actions.Texts));

        _actions.CanText = false;
        _state.Language = "es";
        _state.HoldId = "hold_2";
        Assert.Equal(new BookingStep("Listo, queda reservado para el sábado 7 de marzo a las 19:00.", Done: true), await booking.ConfirmAsync());
    }

    [Fact]
    public async Task Releasing_gives_the_hold_back_once()
    {
        Asked();
        _actions.Free.Add(Local(7, 19));
        var booking = Booking();
        await booking.NextAsync();
        await booking.ReleaseHoldAsync();
        await booking.ReleaseHoldAsync();
        Assert.Equal(("prv_1", "hold_1"), Assert.Single(_actions.Released));
    }
}
