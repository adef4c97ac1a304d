using CloudFran.Grains.Voice;
using Xunit;

namespace CloudFran.Tests.Voice.Receptionist;

public sealed class SpokenTextTests
{
    [Fact]
    public void Dates_and_times_are_spoken_in_the_call_language()
    {
        var at = ReceptionistFakes.Local(6, 19);
        Assert.Equal("Friday, March 6 at 7:00 PM", SpokenText.When(at, null, "en"));
        Assert.Equal("viernes 6 de marzo a las 19:00", SpokenText.When(at, null, "es"));
        Assert.Equal("miércoles 11 de marzo a las 9:05", SpokenText.When(ReceptionistFakes.Local(11, 9, 5), null, "es"));
        Assert.Equal("7:00 PM", SpokenText.When(at, new DateOnly(2026, 3, 6), "en"));
        Assert.Equal("Friday, March 6 at 7:00 PM", SpokenText.When(at, new DateOnly(2026, 3, 7), "en"));
        Assert.Equal("9:05 AM", SpokenText.Time(new TimeOnly(9, 5), "en"));
        Assert.Equal("13:30", SpokenText.Time(new TimeOnly(13, 30), "es"));
        Assert.Equal("on Sunday", SpokenText.OnDay(DayOfWeek.Sunday, "en"));
        Assert.Equal("el sábado", SpokenText.OnDay(DayOfWeek.Saturday, "es"));
    }

    [Fact]
    public void Keypad_answers_articles_and_numbers()
    {
        Assert.Equal("speak to a person", SpokenText.Digits("0"));
        Assert.Equal("yes", SpokenText.Digits("1"));
        Assert.Equal("no", SpokenText.Digits("2"));
        Assert.Equal("number 42", SpokenText.Digits("42"));
        Assert.Equal("4155550100", SpokenText.Digits("4155550100"));
        Assert.Equal("an", SpokenText.Article("appointment"));
        Assert.Equal("a", SpokenText.Article("reservation"));
        Assert.Equal(6, SpokenText.FirstNumber("a party of 6 please"));
        Assert.Equal(4, SpokenText.FirstNumber("there will be four of us"));
        Assert.Null(SpokenText.FirstNumber("just me and my friend"));
        Assert.Equal("sí", SpokenText.L("es", "yes", "sí"));
        Assert.Equal("yes", SpokenText.L("en", "yes", "sí"));
    }
}
