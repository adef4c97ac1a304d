using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Voice;

/// <summary>See <see cref="IVoiceAccountGrain"/>: settings rows (cached here), call-log and message queries, the understand endpoint.</summary>
public sealed class VoiceAccountGrain(PlatformDb db, TimeProvider clock, ConversationEngines engines) : Grain, IVoiceAccountGrain
{
    private readonly Dictionary<string, ReceptionistSettings> _settings = new(StringComparer.Ordinal);
    private TenantScope _scope;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<ReceptionistSettings> PutSettingsAsync(string locationId, ReceptionistSettings settings)
    {
        if (locationId.Length > 0)
        {
            await GrainFactory.GetLocation(_scope, locationId).GetAsync(); // 404 for another tenant's or an unknown location
        }
        if (settings.Engine == "llm" && !engines.LlmConfigured)
        {
            throw CloudFranException.Invalid("engine", "The LLM engine is not configured on this platform (CLOUDFRAN_LLM_ENDPOINT, CLOUDFRAN_LLM_API_KEY).");
        }
        await db.ExecuteAsync(
            """
            INSERT INTO voice_settings (tenant_id, env, location_id, settings, updated_at) VALUES (@t, @e, @l, @s::jsonb, @now)
            ON CONFLICT (tenant_id, env, location_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("l", locationId), ("s", JsonSerializer.Serialize(settings, Json.Options)),
            ("now", clock.GetUtcNow()));
        _settings[locationId] = settings;
        return settings;
    }

    public async Task<ReceptionistSettings> GetSettingsAsync(string locationId)
    {
        if (_settings.TryGetValue(locationId, out var cached))
        {
            return cached;
        }
        // The location's own settings, else the tenant-wide ones (location ""), else the defaults.
        var json = await db.ScalarAsync<string>(
            """
            SELECT settings::text FROM voice_settings WHERE tenant_id = @t AND env = @e AND location_id IN (@l, '')
             ORDER BY location_id DESC LIMIT 1
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("l", locationId));
        var settings = json is null ? ReceptionistSettings.Default : JsonSerializer.Deserialize<ReceptionistSettings>(json, Json.Options)!;
        _settings[locationId] = settings;
        return settings;
    }

    public Task<PagedList<CallView>> ListCallsAsync(CallQuery query) =>
        db.PageAsync(
            $"""
            SELECT {Columns}, count(*) OVER () FROM voice_calls
             WHERE tenant_id = @t AND env = @e AND (@from::timestamptz IS NULL OR started_at >= @from)
               AND (@to::timestamptz IS NULL OR started_at < @to) AND (@o::text IS NULL OR outcome = @o)
             ORDER BY started_at DESC, call_sid
            """,
            ReadCall, query.Page, query.PageSize,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("from", query.From), ("to", query.To), ("o", query.Outcome));

    public async Task<CallView> GetCallAsync(string callSid) =>
        await db.QuerySingleAsync($"SELECT {Columns} FROM voice_calls WHERE tenant_id = @t AND env = @e AND call_sid = @c", ReadCall,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", callSid))
        ?? throw CloudFranException.NotFound("Call");

    public async Task<IReadOnlyList<ActiveCall>> ActiveCallsAsync()
    {
        var now = clock.GetUtcNow();
        return await db.QueryAsync(
            """
            SELECT call_sid, caller_phone, intent, turn_count, started_at, last_message, language FROM voice_calls
             WHERE tenant_id = @t AND env = @e AND ended_at IS NULL AND started_at > @since ORDER BY started_at
            """,
            r => new ActiveCall(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3),
                (int)Math.Max(0, (now - r.GetFieldValue<DateTimeOffset>(4)).TotalSeconds), r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("since", now.AddHours(-4)));
    }

    public Task<PagedList<VoiceMessageView>> ListMessagesAsync(int page, int pageSize) =>
        db.PageAsync(
            """
            SELECT message_id, call_sid, location_id, caller_phone, caller_name, body, created_at, count(*) OVER () FROM voice_messages
             WHERE tenant_id = @t AND env = @e ORDER BY created_at DESC, message_id
            """,
            r => new VoiceMessageView(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.GetFieldValue<DateTimeOffset>(6)),
            page, pageSize, ("t", _scope.TenantId), ("e", _scope.EnvName));

    public async Task<Understanding> UnderstandAsync(UnderstandRequest request)
    {
        var settings = await GetSettingsAsync(request.LocationId ?? "");
        IReadOnlyList<string> services = [];
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (request.LocationId is { } locationId)
        {
            LocationView location = await GrainFactory.GetLocation(_scope, locationId).GetAsync();
            var zone = TimeZoneInfo.FindSystemTimeZoneById(location.Timezone);
            today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
            services = (await GrainFactory.GetLocationCalendar(_scope, locationId).ListServicesAsync()).Select(s => s.Name).ToList();
        }
        var context = new EngineContext(request.Language, request.Industry ?? settings.Industry, today, services, settings.Menu);
        return await engines.For(settings.Engine).UnderstandAsync(request.Text, context);
    }

    public async Task<string> IssueDashboardTokenAsync(TimeSpan lifetime)
    {
        var token = "dt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await db.ExecuteAsync(
            "INSERT INTO voice_dashboard_tokens (token_hash, tenant_id, env, expires_at) VALUES (@h, @t, @e, @x)",
            ("h", DashboardTokens.Hash(token)), ("t", _scope.TenantId), ("e", _scope.EnvName), ("x", clock.GetUtcNow() + lifetime));
        return token;
    }

    private const string Columns = """
        call_sid, location_id, caller_phone, called_number, started_at, ended_at, status, outcome, intent, language, turn_count,
        duration_seconds, last_message, recording_url, turns::text, appointment_id, order_lines::text
        """;

    private static CallView ReadCall(NpgsqlDataReader r) => new(
        r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetString(8),
        r.GetString(9), r.GetInt32(10), r.IsDBNull(11) ? null : r.GetInt32(11), r.IsDBNull(12) ? null : r.GetString(12),
        r.IsDBNull(13) ? null : r.GetString(13), JsonSerializer.Deserialize<List<CallTurn>>(r.GetString(14), Json.Options) ?? [],
        r.IsDBNull(15) ? null : r.GetString(15), JsonSerializer.Deserialize<List<OrderLine>>(r.GetString(16), Json.Options) ?? []);
}
