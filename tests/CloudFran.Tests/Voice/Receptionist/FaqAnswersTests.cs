using CloudFran.Abstractions.Calendar;
using CloudFran.Grains.Voice;
using Xunit;

namespace CloudFran.Tests.Voice.Receptionist;

public sealed class FaqAnswersTests
{
    private static readonly DateOnly Friday = new(2026, 3, 6);

    private static FaqAnswer Ask(string text, string language = "en", DateOnly? day = null, IReadOnlyList<ServiceView>? services = null, bool openSunday = true) =>
        FaqAnswers.Answer(text, language, ReceptionistFakes.Settings(), ReceptionistFakes.Location(openSunday), services ?? ReceptionistFakes.Services(),
            day ?? Friday, Friday);

    [Fact]
    public void The_business_FAQ_answers_first_when_half_its_words_match()
    {
        Assert.Equal(new FaqAnswer("Yes, free parking behind the building.", true), Ask("is there parking nearby"));
        Assert.Equal(new FaqAnswer("Yes, free parking behind the building.", true), Ask("Do you have parking?"));
    }

    [Fact]
    public void Hours_address_prices_and_offers_come_from_the_location_menu_and_services()
    {
        Assert.Equal(new FaqAnswer("We're open today from 9:00 AM to 11:00 PM.", true), Ask("What are your hours?"));
        Assert.Equal(new FaqAnswer("We're closed on Sunday.", true), Ask("are you open on sunday", day: new DateOnly(2026, 3, 8), openSunday: false));
        Assert.Equal(new FaqAnswer("Abrimos hoy de 9:00 a 23:00.", true), Ask("¿A qué hora abren?", "es"));
        Assert.Equal(new FaqAnswer("Abrimos el sábado de 9:00 a 23:00.", true), Ask("¿A qué hora abren?", "es", new DateOnly(2026, 3, 7)));
        Assert.Equal(new FaqAnswer("We're at 12 State St, Chicago, IL.", true), Ask("Where are you located?"));
        Assert.Equal(new FaqAnswer("The Milkshake is $4.99.", true), Ask("how much is a milkshake"));
        var haircut = new ServiceView("svc_2", "loc_1", "Haircut", 30, 0, 0, 25m, []);
        Assert.Equal(new FaqAnswer("Haircut is $25.00 and takes about 30 minutes.", true), Ask("how much for a haircut", services: [haircut]));
        Assert.Equal(new FaqAnswer("We offer Cheeseburger, Fries, Milkshake.", true), Ask("what do you offer"));
    }

    [Fact]
    public void An_unknown_question_is_not_answered()
    {
        Assert.Equal(new FaqAnswer("I'm not sure about that one. I can take a message so the team can call you back.", false), Ask("do you sell bicycles"));
        Assert.Equal(new FaqAnswer("No estoy seguro de eso. Puedo tomar un mensaje para que el equipo le devuelva la llamada.", false),
            Ask("¿venden bicicletas?", "es"));
        Assert.Null(FaqAnswers.BestFaq("do you deliver", ReceptionistFakes.Settings().Faq));
    }
}
