namespace CloudFran.Abstractions.Calendar;

/// <summary>Calendar error codes and the booking limits they speak of.</summary>
public static class CalendarErrors
{
    public const string SlotUnavailable = "SLOT_UNAVAILABLE";
    public const int MaxWindowDays = 31;
    public const string TooSoon = "BOOKING_TOO_SOON";
    public const string TooFarAhead = "BOOKING_TOO_FAR_AHEAD";
    public const int DefaultMaxAdvanceDays = 365;
}
