using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Crm;

/// <summary>The events of a lead's status change, written in the caller's transaction (the leads grain and Autopilot outcomes).</summary>
public static class LeadEvents
{
    /// <summary>lead.status_updated for every change, plus lead.qualified / lead.converted from the catalog.</summary>
    public static async Task StatusChangedAsync(ISql sql, TenantScope scope, string leadId,
        string oldStatus, string newStatus, string? updatedBy, DateTimeOffset now)
    {
        await EventOutbox.AppendAsync(sql, scope, "lead.status_updated",
            new { lead_id = leadId, old_status = oldStatus, new_status = newStatus, updated_by = updatedBy, at = now });
        if (newStatus is "qualified" or "converted")
        {
            await EventOutbox.AppendAsync(sql, scope, "lead." + newStatus, new { lead_id = leadId, old_status = oldStatus, at = now },
                $"lead.{newStatus}:{leadId}");
        }
    }
}
