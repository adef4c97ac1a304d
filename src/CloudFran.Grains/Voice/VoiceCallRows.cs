using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Voice;

/// <summary>A call's row in <c>voice_calls</c> as the call session reads it on activation.</summary>
internal readonly record struct VoiceCallRow(string? LocationId, string Caller, string Called, DateTimeOffset StartedAt, bool Ended, CallState State);

/// <summary>The call session's statements on <c>voice_calls</c>: each turn is one statement, with its event in the same transaction.</summary>
internal static class VoiceCallRows
{
    public static async Task<VoiceCallRow?> LoadAsync(PlatformDb db, TenantScope scope, string callSid)
    {
        var row = (await db.QueryAsync(
            """
            SELECT location_id, caller_phone, called_number, started_at, ended_at, state::text
              FROM voice_calls WHERE tenant_id = @t AND env = @e AND call_sid = @c
            """,
            r => (Location: r.IsDBNull(0) ? null : r.GetString(0), Caller: r.GetString(1), Called: r.GetString(2),
                Started: r.GetFieldValue<DateTimeOffset>(3), Ended: !r.IsDBNull(4), State: r.GetString(5)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", callSid))).FirstOrDefault();
        if (row.Caller is null)
        {
            return null;
        }
        return new VoiceCallRow(row.Location, row.Caller, row.Called, row.Started, row.Ended,
            JsonSerializer.Deserialize<CallState>(row.State, Json.Options) ?? new CallState());
    }

    /// <summary>Inserts the call (a replayed start inserts nothing) with its call_started event.</summary>
    public static async Task InsertAsync(PlatformDb db, TenantScope scope, string callSid, string? locationId, string caller, string called,
        DateTimeOffset startedAt, CallState state)
    {
        await using var tx = await db.BeginAsync();
        await tx.ExecuteAsync(
            """
            INSERT INTO voice_calls (tenant_id, env, call_sid, location_id, caller_phone, called_number, started_at, state, last_message)
            VALUES (@t, @e, @c, @l, @from, @to, @now, @state::jsonb, @last)
            ON CONFLICT DO NOTHING
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", callSid), ("l", locationId), ("from", caller), ("to", called),
            ("now", startedAt), ("state", JsonSerializer.Serialize(state, Json.Options)), ("last", state.LastPrompt!));
        await EventOutbox.AppendAsync(tx, scope, "voice.receptionist.call_started",
            new { callSid, callerPhone = caller, calledNumber = called, locationId, startedAt },
            dedupeKey: $"voice:{callSid}:started");
        await tx.CommitAsync();
    }

    /// <summary>Appends a turn to the transcript and saves the state; a language switch records its event in the same transaction.</summary>
    public static async Task SaveTurnAsync(PlatformDb db, TenantScope scope, string callSid, CallState state, CallTurn turn, string? languageSwitched)
    {
        const string sql =
            """
            UPDATE voice_calls SET intent = @i, language = @lang, turn_count = @n, last_message = @last,
                   turns = turns || jsonb_build_array(@turn::jsonb), state = @state::jsonb, appointment_id = @appt, order_lines = @order::jsonb
             WHERE tenant_id = @t AND env = @e AND call_sid = @c
            """;
        (string, object?)[] args =
        [
            ("i", state.Intent), ("lang", state.Language), ("n", state.Turn), ("last", state.LastPrompt ?? ""),
            ("turn", JsonSerializer.Serialize(turn, Json.Options)), ("state", JsonSerializer.Serialize(state, Json.Options)),
            ("appt", state.AppointmentId), ("order", JsonSerializer.Serialize(state.OrderPlaced ? state.Order : [], Json.Options)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", callSid),
        ];
        if (languageSwitched is null)
        {
            await db.ExecuteAsync(sql, args);
            return;
        }
        await using var tx = await db.BeginAsync();
        await tx.ExecuteAsync(sql, args);
        await EventOutbox.AppendAsync(tx, scope, "voice.receptionist.language_switched",
            new { callSid, from = languageSwitched, to = state.Language, turn = turn.Turn },
            dedupeKey: $"voice:{callSid}:lang:{turn.Turn}");
        await tx.CommitAsync();
    }

    /// <summary>Closes the call once with its call_ended event; false when it was already closed.</summary>
    public static async Task<bool> CompleteAsync(PlatformDb db, TenantScope scope, string callSid, string? locationId, string caller, CallState state,
        string callStatus, string outcome, int duration, DateTimeOffset now)
    {
        await using var tx = await db.BeginAsync();
        if (await tx.ExecuteAsync(
                """
                UPDATE voice_calls SET ended_at = @now, status = @s, outcome = @o, duration_seconds = @d, state = @state::jsonb
                 WHERE tenant_id = @t AND env = @e AND call_sid = @c AND ended_at IS NULL
                """,
                ("now", now), ("s", callStatus), ("o", outcome), ("d", duration), ("state", JsonSerializer.Serialize(state, Json.Options)),
                ("t", scope.TenantId), ("e", scope.EnvName), ("c", callSid)) == 0)
        {
            return false;
        }
        await EventOutbox.AppendAsync(tx, scope, "voice.receptionist.call_ended", new
        {
            callSid, locationId, callerPhone = caller, callStatus, outcome, durationSeconds = duration,
            turns = state.Turn, intent = state.Intent, appointmentId = state.AppointmentId,
        }, dedupeKey: $"voice:{callSid}:ended");
        await tx.CommitAsync();
        return true;
    }

    public static Task SetRecordingAsync(PlatformDb db, TenantScope scope, string callSid, string recordingSid, string recordingUrl) =>
        db.ExecuteAsync(
            "UPDATE voice_calls SET recording_sid = @sid, recording_url = @url WHERE tenant_id = @t AND env = @e AND call_sid = @c",
            ("sid", recordingSid), ("url", recordingUrl), ("t", scope.TenantId), ("e", scope.EnvName), ("c", callSid));

    /// <summary>Keeps a message a caller left; answers its id.</summary>
    public static async Task<string> InsertMessageAsync(PlatformDb db, TenantScope scope, string callSid, string? locationId, string caller,
        string? callerName, string body, DateTimeOffset now)
    {
        var messageId = Ids.New("vmsg");
        await db.ExecuteAsync(
            """
            INSERT INTO voice_messages (tenant_id, env, message_id, call_sid, location_id, caller_phone, caller_name, body, created_at)
            VALUES (@t, @e, @id, @c, @l, @p, @n, @b, @now) ON CONFLICT DO NOTHING
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", messageId), ("c", callSid), ("l", locationId), ("p", caller),
            ("n", callerName), ("b", body), ("now", now));
        return messageId;
    }
}
