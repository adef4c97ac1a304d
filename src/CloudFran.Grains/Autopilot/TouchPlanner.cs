using CloudFran.Abstractions.Autopilot;

namespace CloudFran.Grains.Autopilot;

/// <summary>An enrollment whose next touch is due, with what the touch needs about its lead.</summary>
public sealed record Due(string EnrollmentId, string LeadId, string? Phone, string? VariantId, int Step, DateTimeOffset EnrolledAt,
    string Name, string? Company, string Zone, string LocationName, string? LocationId, bool OptedOut, bool Replied, string? Email);

/// <summary>
/// One step's touch. <paramref name="SmsStatus"/>/<paramref name="EmailStatus"/> are the initial channel statuses
/// (pending, skipped; null email = SMS-only campaign). <paramref name="SmsHeld"/>: quiet hours hold the SMS, the
/// email goes now and the enrollment stays on this step until the window opens.
/// </summary>
public sealed record Touch(Due Due, string? VariantId, string Body, string SmsStatus = "pending", string? EmailStatus = null, bool SmsHeld = false);

/// <summary>What a pass decided for a batch of due enrollments before anything is sent.</summary>
public sealed record TouchPlan(List<Touch> Touches, List<(string Id, string Reason)> Exits, List<string> Pauses, List<(string Id, DateTimeOffset At)> Defers);

/// <summary>
/// The campaign pass's decisions, without I/O: which due enrollments exit (opted out, no phone), pause (replied),
/// wait for quiet hours to end (SMS only, 08:00–21:00 in the lead's zone) or get a touch, which variant a lead gets
/// (a deterministic weighted split) and the text of each touch.
/// </summary>
public static class TouchPlanner
{
    private const int QuietStartHour = 8;
    private const int QuietEndHour = 21;

    public static TouchPlan Plan(string channel, string goal, IReadOnlyList<VariantView> variants, IReadOnlyList<Due> batch, DateTimeOffset now)
    {
        var exits = new List<(string Id, string Reason)>();
        var pauses = new List<string>();
        var defers = new List<(string Id, DateTimeOffset At)>();
        var touches = new List<Touch>();
        var wantsSms = channel is "sms" or "both";
        var wantsEmail = channel is "email" or "both";
        foreach (var due in batch)
        {
            if (due.OptedOut)
            {
                exits.Add((due.EnrollmentId, "opted_out"));
            }
            else if (due.Replied)
            {
                pauses.Add(due.EnrollmentId);
            }
            else if (!wantsEmail && due.Phone is null)
            {
                exits.Add((due.EnrollmentId, "no_phone"));
            }
            else
            {
                var sms = wantsSms && due.Phone is not null;
                var email = wantsEmail && due.Email is not null;
                // Quiet hours hold SMS only: an email goes out at any hour.
                var wait = sms ? QuietUntil(due.Zone, now) : null;
                if (wait is not null)
                {
                    defers.Add((due.EnrollmentId, wait.Value));
                    if (!email)
                    {
                        continue;
                    }
                }
                var variant = due.VariantId is not null ? variants.FirstOrDefault(v => v.VariantId == due.VariantId) : PickVariant(variants, due.EnrollmentId);
                var content = variant?.Content ?? DefaultContent(goal, due.Step);
                touches.Add(new Touch(due, variant?.VariantId ?? due.VariantId, Render(content, due), sms ? "pending" : "skipped",
                    !wantsEmail ? null : email ? "pending" : "skipped", SmsHeld: wait is not null));
            }
        }

        return new TouchPlan(touches, exits, pauses, defers);
    }

    /// <summary>"sent", "suppressed" (opt-out or unsubscribe: the backbone answered 409) or "failed".</summary>
    public static string SendStatus(bool sent, CloudFran.Abstractions.Errors.ErrorKind? error) =>
        sent ? "sent" : error == CloudFran.Abstractions.Errors.ErrorKind.Conflict ? "suppressed" : "failed";

    /// <summary>Null when <paramref name="now"/> is inside 08:00–21:00 in the zone; else the next 08:00 there.</summary>
    public static DateTimeOffset? QuietUntil(string zone, DateTimeOffset now)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var tz))
        {
            tz = TimeZoneInfo.Utc;
        }
        var local = TimeZoneInfo.ConvertTime(now, tz);
        if (local.Hour >= QuietStartHour && local.Hour < QuietEndHour)
        {
            return null;
        }
        var day = local.Hour >= QuietEndHour ? local.Date.AddDays(1) : local.Date;
        var opening = day.AddHours(QuietStartHour);
        return new DateTimeOffset(opening, tz.GetUtcOffset(opening)).ToUniversalTime();
    }

    /// <summary>Deterministic weighted split: the enrollment id's hash picks a percentile bucket.</summary>
    public static VariantView? PickVariant(IReadOnlyList<VariantView> variants, string enrollmentId)
    {
        var live = variants.Where(v => v.TrafficPercent > 0).ToList();
        if (live.Count == 0)
        {
            return null;
        }
        var hash = 2166136261u; // FNV-1a: stable across processes and versions
        foreach (var c in enrollmentId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        var total = live.Sum(v => v.TrafficPercent);
        var bucket = (int)(hash % (uint)total);
        foreach (var v in live)
        {
            if (bucket < v.TrafficPercent)
            {
                return v;
            }
            bucket -= v.TrafficPercent;
        }
        return live[^1];
    }

    public static string DefaultContent(string goal, int step) => (goal, step) switch
    {
        ("booking", 0) => "Hi {{first_name}}, thanks for your interest in {{location_name}}! Reply here and we'll find you a time.",
        ("booking", _) => "Hi {{first_name}}, {{location_name}} still has openings this week. Want us to save you a spot?",
        ("sale", 0) => "Hi {{first_name}}, thanks for reaching out to {{location_name}}! Any questions we can answer for you?",
        ("sale", _) => "Hi {{first_name}}, just checking in from {{location_name}}. Is now a good time to talk about your order?",
        ("survey", _) => "Hi {{first_name}}, how was your experience with {{location_name}}? Reply 1-5, we read every answer.",
        _ => "Hi {{first_name}}, we miss you at {{location_name}}! Reply to hear about this month's offer.",
    };

    public static string Render(string content, Due due)
    {
        var first = due.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? due.Name;
        var body = content.Replace("{{first_name}}", first).Replace("{{name}}", due.Name)
            .Replace("{{location_name}}", due.LocationName).Replace("{{company}}", due.Company ?? "");
        return body.Length > 1600 ? body[..1600] : body;
    }
}
