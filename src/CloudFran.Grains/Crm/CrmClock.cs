namespace CloudFran.Grains.Crm;

/// <summary>
/// The clock of lead and Autopilot scheduling (a keyed <see cref="TimeProvider"/>, the system clock by default).
/// Kept apart from the runtime's clock so that tests can move cadences forward by days without moving Orleans'
/// own timeouts and liveness checks.
/// </summary>
public static class CrmClock
{
    public const string Key = "cloudfran.crm";
}
