using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Voice;
using Xunit;
using static CloudFran.Tests.Voice.Receptionist.ReceptionistFakes;

namespace CloudFran.Tests.Voice.Receptionist;

public sealed class ReceptionistDialogueTests
{
    private static readonly CallSpeech Hello = new("Thank you for calling BigBurger! How may I help you?", "Google.en-US-Neural2-F", "en-US");
    private static readonly CallGather English = new("en-US");

    private readonly FakeActions _actions = new();
    private readonly CallState _state = new();

    private ReceptionistDialogue Dialogue(ReceptionistSettings? settings = null) => new(_state, Call(settings), _actions, Clock());

    private static CallReply Asked(string text, string language = "en") => language == "es"
        ? CallReply.Ask(new CallSpeech(text, "Google.es-US-Neural2-A", "es-US"), new CallGather("es-US"))
        : CallReply.Ask(new CallSpeech(text, "Google.en-US-Neural2-F", "en-US"), English);

    [Fact]
    public void Greets_after_a_pause_and_repeats_the_last_question_on_a_replay()
    {
        var dialogue = Dialogue();
        Assert.Equal(new CallReply(CallNext.Gather, Hello, 1, English), dialogue.Welcome());
        Assert.Equal(CallReply.Ask(Hello, English), dialogue.Repeat());
        Assert.Equal(new CallReply(CallNext.Poll, new CallSpeech("One moment please.", "Google.en-US-Neural2-F", "en-US"), PollTurn: 3), dialogue.HoldOn(3));
        Assert.Equal(new CallReply(CallNext.Hangup, new CallSpeech("Sorry, we could not find this call. Please call again. Goodbye.", "Google.en-US-Neural2-F", null)),
            ReceptionistDialogue.UnknownCall());
    }

    [Fact]
    public async Task A_question_is_answered_and_more_help_offered()
    {
        var (decision, intent) = await Dialogue().HearAsync("Do you have parking?", 0.92, spoken: true);
        var say = "Yes, free parking behind the building. Is there anything else I can help you with?";
        Assert.Equal(new Decision(say, Asked(say)), decision);
        Assert.Equal(VoiceIntents.AskQuestion, intent);
        Assert.Equal((1, "anything_else", VoiceIntents.AskQuestion, say), (_state.Turn, _state.Pending, _state.Intent, _state.LastPrompt));
        Assert.Contains(VoiceOutcomes.Answered, _state.Outcomes);

        (decision, _) = await Dialogue().HearAsync("no, goodbye", 0.92, spoken: true);
        Assert.Equal(CallReply.HangUp(new CallSpeech("Thank you for calling BigBurger. Goodbye!", "Google.en-US-Neural2-F", "en-US")), decision.Reply);
        Assert.Null(_state.Pending);
    }

    [Fact]
    public async Task Low_confidence_speech_is_read_back_before_acting_on_it()
    {
        var dialogue = Dialogue();
        var (decision, _) = await dialogue.HearAsync("what are your hours", 0.2, spoken: true);
        Assert.Equal(Asked("I want to be sure I heard you right. Did you say: what are your hours?"), decision.Reply);
        Assert.Equal(("confirm_heard", VoiceIntents.Unknown), (_state.Pending, _state.Intent));
        (decision, _) = await dialogue.HearAsync("yes", 0.9, spoken: true);
        Assert.Equal(Asked("We're open today from 9:00 AM to 11:00 PM. Is there anything else I can help you with?"), decision.Reply);
        Assert.Equal(VoiceIntents.AskQuestion, _state.Intent);
    }

    [Fact]
    public async Task A_transfer_dials_the_transfer_number_from_the_called_number()
    {
        var dialogue = Dialogue();
        var (decision, _) = await dialogue.HearAsync(SpokenText.Digits("0"), null, spoken: false);
        Assert.Equal(new Decision("Please hold while I connect you.", CallReply.Connect(
            new CallSpeech("Please hold while I connect you.", "Google.en-US-Neural2-F", "en-US"), new CallDial(Transfer, 20, Called))), decision);
        var (type, _, key) = Assert.Single(_actions.Events);
        Assert.Equal(("voice.receptionist.transfer_requested", "voice:CA1:transfer:1"), (type, key));

        var back = dialogue.DialResult("no-answer");
        Assert.Equal(Asked("Sorry, nobody was able to answer. Would you like to leave a message instead?"), back.Reply);
        Assert.Equal("offer_message", _state.Pending);
        Assert.Equal(new Decision("(transferred)", CallReply.HangUp()), dialogue.DialResult("completed"));
        Assert.Contains(VoiceOutcomes.Transferred, _state.Outcomes);
        Assert.Equal(3, _state.Turn);
    }

    [Fact]
    public async Task Without_a_transfer_number_the_caller_may_leave_a_message_that_is_kept_and_texted_to_the_team()
    {
        var dialogue = Dialogue(Settings(transfer: null));
        var (decision, _) = await dialogue.HearAsync("Can I talk to a person please", 0.9, spoken: true);
        Assert.Equal(Asked("I'm sorry, no one is available to take your call right now. Would you like to leave a message?"), decision.Reply);
        (decision, _) = await dialogue.HearAsync("yes", 0.9, spoken: true);
        Assert.Equal(Asked("Of course. What message would you like to leave?"), decision.Reply);
        (decision, _) = await dialogue.HearAsync("Please call me back about the party on Friday", 0.9, spoken: true);
        Assert.Equal(Asked("Thank you, I'll pass your message along. Is there anything else I can help you with?"), decision.Reply);
        Assert.Equal((null, "Please call me back about the party on Friday"), Assert.Single(_actions.Messages));
        Assert.Equal((Notify, $"New message for BigBurger from {Caller} ({Caller}): Please call me back about the party on Friday", "voice:CA1:message:3"),
            Assert.Single(_actions.Texts));
        Assert.Contains(VoiceOutcomes.MessageTaken, _state.Outcomes);
        // "call me back" is itself a request to leave a message: it becomes the call's main intent.
        Assert.Equal(VoiceIntents.LeaveMessage, _state.Intent);
    }

    [Fact]
    public async Task Spanish_speech_switches_the_call_language_and_voice()
    {
        var (decision, _) = await Dialogue().HearAsync("Hola, ¿tienen estacionamiento?", 0.9, spoken: true);
        Assert.Equal("es", _state.Language);
        Assert.Equal(Asked("No estoy seguro de eso. Puedo tomar un mensaje para que el equipo le devuelva la llamada. ¿Le puedo ayudar con algo más?", "es"),
            decision.Reply);
    }

    [Fact]
    public async Task An_order_is_taken_confirmed_recorded_and_texted()
    {
        var dialogue = Dialogue();
        Assert.Equal(Asked("Got it: 2 Cheeseburger, 1 Fries. Anything else?"),
            (await dialogue.HearAsync("I'd like to order two burgers and fries", 0.92, spoken: true)).Decision.Reply);
        Assert.Equal(Asked("What name is the order under?"), (await dialogue.HearAsync("no", 0.92, spoken: true)).Decision.Reply);
        Assert.Equal(Asked("That's 2 Cheeseburger, 1 Fries, for a total of $21.47, under Ana. Shall I place the order?"),
            (await dialogue.HearAsync("My name is Ana", 0.92, spoken: true)).Decision.Reply);
        Assert.Equal(Asked("Your order is placed. I've texted you the details. Is there anything else I can help you with?"),
            (await dialogue.HearAsync("yes please", 0.92, spoken: true)).Decision.Reply);
        Assert.True(_state.OrderPlaced);
        Assert.Contains(VoiceOutcomes.Ordered, _state.Outcomes);
        Assert.Equal(("voice.receptionist.order_confirmed", "voice:CA1:order:4"), (_actions.Events[0].Type, _actions.Events[0].DedupeKey));
        Assert.Equal((Caller, "BigBurger: order received — 2 Cheeseburger, 1 Fries, total $21.47. Reply STOP to opt out.", "voice:CA1:order:4"),
            Assert.Single(_actions.Texts));
    }

    [Fact]
    public void Silence_is_prompted_twice_then_the_call_ends()
    {
        var dialogue = Dialogue();
        _state.LastPrompt = dialogue.Greeting();
        var again = "Are you still there? Thank you for calling BigBurger! How may I help you?";
        Assert.Equal(new Decision(again, Asked(again)), dialogue.NoInput());
        Assert.Equal(new Decision(again, Asked(again)), dialogue.NoInput());
        var bye = "I haven't heard anything, so I'll end the call. Thank you for calling BigBurger. Goodbye!";
        Assert.Equal(new Decision(bye, CallReply.HangUp(new CallSpeech(bye, "Google.en-US-Neural2-F", "en-US"))), dialogue.NoInput());
        Assert.Equal([VoiceOutcomes.NoInput], _state.Outcomes);
        Assert.Equal((3, 3), (_state.Turn, _state.Reprompts));
    }
}
