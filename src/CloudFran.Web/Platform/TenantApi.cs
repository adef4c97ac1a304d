using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Platform;

/// <summary>PATCH /v1/tenant/settings.</summary>
public sealed record TenantSettingsRequest(string? BusinessName, string? Timezone, string? NotificationEmail, string? BrandColor)
{
    public TenantSettingsPatch ToPatch() => new(BusinessName, Timezone, NotificationEmail, BrandColor);
}

public sealed record InvitationRequest(string? Email, string? Role, IReadOnlyList<string>? Permissions, IReadOnlyList<string>? Locations);

public sealed record CreateKeyRequest(string? Type, string? Role, string? Name, DateTimeOffset? ExpiresAt);

/// <summary>Tenant administration: profile and settings, team, API keys (Tenant Administration in the seed).</summary>
public static class TenantApi
{
    public static RouteGroupBuilder MapTenantApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/tenant").WithTags("Tenant administration").RequireTenant(Role.Viewer);

        group.MapGet("/", (HttpContext http, IGrainFactory grains) =>
                grains.GetTenant(http.Caller().TenantId).GetAsync())
            .WithName("GetTenant").WithSummary("The caller's tenant: profile, plan, status and effective limits.");

        group.MapPatch("/settings", (TenantSettingsRequest body, HttpContext http, IGrainFactory grains) =>
                grains.GetTenant(http.Caller().TenantId).UpdateSettingsAsync(body.ToPatch()))
            .RequireTenant(Role.Admin, liveOnly: true)
            .WithName("UpdateTenantSettings").WithSummary("Change businessName, timezone (IANA), notificationEmail, brandColor (hex).");

        group.MapGet("/team", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var role = check.Enum(http, "role", AccessNames.Roles);
                check.ThrowIfInvalid();
                return grains.GetTenant(http.Caller().TenantId).ListTeamAsync(role);
            })
            .RequireTenant(Role.Manager)
            .WithName("ListTeam").WithSummary("Team members and pending invitations, optionally filtered by role.");

        group.MapPost("/team/invitations", async Task<Created<TeamMember>> (InvitationRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check()
                    .Required("email", body.Email, 254).Email("email", body.Email)
                    .Required("role", body.Role, 10).OneOf("role", body.Role, AccessNames.Roles)
                    .Range("permissions", body.Permissions?.Count, 0, 108)
                    .Range("locations", body.Locations?.Count, 0, 1000)
                    .ThrowIfInvalid();
                ValidateList("permissions", body.Permissions, 100);
                ValidateLocationIds(body.Locations);
                var member = await grains.GetTenant(http.Caller().TenantId).InviteAsync(
                    new Invitation(body.Email!, body.Role!, body.Permissions ?? [], body.Locations ?? []));
                return TypedResults.Created($"/v1/tenant/team/{member.MemberId}", member);
            })
            .RequireTenant(Role.Admin, liveOnly: true)
            .WithName("InviteTeamMember").WithSummary("Invite a team member with a role, permissions and locations.");

        group.MapPost("/keys", async Task<Created<CreatedApiKey>> (CreateKeyRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check()
                    .Required("type", body.Type, 5).OneOf("type", body.Type, ["live", "test"])
                    .Required("role", body.Role, 10).OneOf("role", body.Role, AccessNames.Roles)
                    .Required("name", body.Name, 100)
                    .ThrowIfInvalid();
                var created = await grains.GetTenant(http.Caller().TenantId).CreateKeyAsync(new NewApiKey(
                    AccessNames.ParseKeyType(body.Type!), AccessNames.ParseRole(body.Role!), body.Name!.Trim(), body.ExpiresAt));
                return TypedResults.Created($"/v1/tenant/keys/{created.Key.KeyId}", created);
            })
            .RequireTenant(Role.Admin, liveOnly: true)
            .WithName("CreateApiKey").WithSummary("Create a key; the secret is in this response only. Rotate = create new, then revoke old.");

        group.MapGet("/keys", (HttpContext http, IGrainFactory grains) =>
                grains.GetTenant(http.Caller().TenantId).ListKeysAsync())
            .RequireTenant(Role.Admin)
            .WithName("ListApiKeys").WithSummary("The tenant's keys without secrets.");

        group.MapDelete("/keys/{keyId}", async Task<NoContent> (string keyId, HttpContext http, IGrainFactory grains) =>
            {
                if (!Ids.IsValid(keyId, "key"))
                {
                    throw CloudFranException.NotFound("API key");
                }
                await grains.GetTenant(http.Caller().TenantId).RevokeKeyAsync(keyId);
                return TypedResults.NoContent();
            })
            .RequireTenant(Role.Admin, liveOnly: true)
            .WithName("RevokeApiKey").WithSummary("Revoke a key; it answers 401 EXPIRED_KEY from the next request on.");

        return group;
    }

    private static void ValidateList(string field, IReadOnlyList<string>? items, int max)
    {
        if (items is null)
        {
            return;
        }
        var check = new Check();
        for (var i = 0; i < items.Count; i++)
        {
            check.Required($"{field}[{i}]", items[i], max);
        }
        check.ThrowIfInvalid();
    }

    private static void ValidateLocationIds(IReadOnlyList<string>? ids)
    {
        if (ids is null)
        {
            return;
        }
        var check = new Check();
        for (var i = 0; i < ids.Count; i++)
        {
            if (!Ids.IsValid(ids[i], "loc"))
            {
                check.Invalid($"locations[{i}]", "Each location must be a location id (loc_…).");
            }
        }
        check.ThrowIfInvalid();
    }
}
