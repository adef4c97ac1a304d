using System.Text;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using QRCoder;

namespace CloudFran.Web.Loyalty;

/// <summary>
/// Loyalty & wallet: members, program rules, points, stored value, transfers, gift cards, check-ins, referrals
/// (Stripe's webhook is <see cref="StripeWebhookApi"/>). Money and points change only inside the member's wallet
/// grain (one ledger entry each).
/// </summary>
public static class LoyaltyApi
{
    public static RouteGroupBuilder MapLoyaltyApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/loyalty").WithTags("Loyalty").RequireTenant(Role.Viewer);

        // ------------------------------------------------------------ program
        group.MapGet("/program", (HttpContext http, IGrainFactory grains) => grains.GetLoyaltyProgram(http.Caller().Scope).GetAsync())
            .WithName("GetLoyaltyProgram").WithSummary("The tenant's program rules (defaults until changed).");

        group.MapPatch("/program", (UpdateLoyaltyProgramRequest body, HttpContext http, IGrainFactory grains) =>
                grains.GetLoyaltyProgram(http.Caller().Scope).UpdateAsync(body.ToPatch()))
            .RequireTenant(Role.Manager)
            .WithName("UpdateLoyaltyProgram").WithSummary("Points per currency unit, visit bonus, category multipliers, promotions with time windows, tiers, expiry, limits, rewards.");

        // ------------------------------------------------------------ members
        group.MapPost("/members", async Task<Created<MemberView>> (CreateMemberRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("name", body.Name, 200).Required("phone", body.Phone, 20).Phone("phone", body.Phone)
                    .Email("email", body.Email).Text("referralCode", body.ReferralCode, 40);
                LocationField(check, "locationId", body.LocationId);
                check.ThrowIfInvalid();
                var member = await grains.GetLoyaltyDirectory(http.Caller().Scope).CreateMemberAsync(
                    new MemberInput(body.Name!.Trim(), body.Phone!, body.Email, body.LocationId, body.ReferralCode));
                return TypedResults.Created($"/v1/loyalty/members/{member.MemberId}", member);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateLoyaltyMember").WithSummary("Enroll a member (phone E.164 unique per tenant; optional referralCode).");

        group.MapGet("/members", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var phone = check.Text(http, "phone", 20);
                check.Phone("phone", phone);
                var email = check.Text(http, "email", 254);
                var name = check.Text(http, "name", 200);
                var location = check.Text(http, "locationId", 40);
                LocationField(check, "locationId", location);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetLoyaltyDirectory(http.Caller().Scope).SearchAsync(new MemberSearch(phone, email, name, location, page, pageSize));
            })
            .WithName("SearchLoyaltyMembers").WithSummary("Search members by phone, email, name (contains) or locationId; paged.");

        group.MapGet("/members/{memberId}", (string memberId, HttpContext http, IGrainFactory grains) =>
                grains.GetWallet(http.Caller().Scope, Member(memberId)).GetAsync())
            .WithName("GetLoyaltyMember").WithSummary("Points, lifetime points, tier, wallet balance, streak, badges, auto-reload.");

        group.MapGet("/members/{memberId}/qr", async Task<Results<FileContentHttpResult, ContentHttpResult>> (string memberId, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var format = check.Enum(http, "format", ["svg", "png"]) ?? "svg";
                check.ThrowIfInvalid();
                var token = await grains.GetLoyaltyDirectory(http.Caller().Scope).QrTokenAsync(Member(memberId));
                using var data = QRCodeGenerator.GenerateQrCode(token, QRCodeGenerator.ECCLevel.M);
                return format == "png"
                    ? TypedResults.File(new PngByteQRCode(data).GetGraphic(8), "image/png")
                    : TypedResults.Text(new SvgQRCode(data).GetGraphic(8), "image/svg+xml", Encoding.UTF8);
            })
            .WithName("GetLoyaltyMemberQr").WithSummary("The member's QR login code (format=svg|png); scanning it at a location checks the member in.");

        group.MapGet("/members/{memberId}/history", (string memberId, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var type = check.Enum(http, "type", ["earn", "redeem", "transfer", "wallet", "all"]) ?? "all";
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetLoyaltyDirectory(http.Caller().Scope).HistoryAsync(Member(memberId), new HistoryQuery(type, page, pageSize));
            })
            .WithName("GetLoyaltyHistory").WithSummary("Ledger entries of the member, newest first (type=earn|redeem|transfer|wallet|all).");

        // ------------------------------------------------------------ points
        group.MapPost("/members/{memberId}/points/earn", async Task<Created<LedgerEntryView>> (string memberId, EarnPointsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("category", body.Category, 50).Text("reference", body.Reference, 200);
                if (body.Amount is null == body.Points is null) check.Invalid("amount", "Send exactly one of amount (spent) or points.");
                Money(check, "amount", body.Amount);
                check.Range("points", body.Points, 1, 10_000_000);
                LocationField(check, "locationId", body.LocationId);
                var key = Key(check, http, body.IdempotencyKey);
                check.ThrowIfInvalid();
                var entry = await grains.GetWallet(http.Caller().Scope, Member(memberId)).EarnAsync(
                    new EarnRequest(body.Amount, body.Points, body.Category, body.Reference, body.LocationId, key));
                return TypedResults.Created($"/v1/loyalty/members/{memberId}/history", entry);
            })
            .RequireTenant(Role.Agent)
            .WithName("EarnPoints").WithSummary("Earn points for an amount spent (program rules apply) or a number of points; idempotent by Idempotency-Key.");

        group.MapPost("/members/{memberId}/points/redeem", async Task<Created<LedgerEntryView>> (string memberId, RedeemPointsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("rewardId", body.RewardId, 40).Text("reference", body.Reference, 200).Range("points", body.Points, 1, 100_000_000);
                if (body.RewardId is null == body.Points is null) check.Invalid("points", "Send exactly one of points or rewardId.");
                LocationField(check, "locationId", body.LocationId);
                var key = Key(check, http, body.IdempotencyKey);
                check.ThrowIfInvalid();
                var entry = await grains.GetWallet(http.Caller().Scope, Member(memberId)).RedeemAsync(
                    new RedeemRequest(body.Points, body.RewardId, body.Reference, body.LocationId, key));
                return TypedResults.Created($"/v1/loyalty/members/{memberId}/history", entry);
            })
            .RequireTenant(Role.Agent)
            .WithName("RedeemPoints").WithSummary("Redeem points or a reward; never overspends (409 INSUFFICIENT_POINTS).");

        group.MapPost("/members/{memberId}/points/refund", async Task<Created<LedgerEntryView>> (string memberId, RefundPointsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("reference", body.Reference, 200).Range("points", body.Points, 1, 100_000_000);
                if (body.Points is null) check.Missing("points");
                var key = Key(check, http, body.IdempotencyKey);
                check.ThrowIfInvalid();
                var entry = await grains.GetWallet(http.Caller().Scope, Member(memberId)).RefundPointsAsync(new PointsRefundRequest(body.Points!.Value, body.Reference, key));
                return TypedResults.Created($"/v1/loyalty/members/{memberId}/history", entry);
            })
            .RequireTenant(Role.Manager)
            .WithName("RefundPoints").WithSummary("Take back points of a refunded purchase; below zero only when the program allows negative balances.");

        // ------------------------------------------------------------ wallet
        group.MapPost("/members/{memberId}/wallet/load", async Task<Results<Created<WalletLoadView>, Accepted<WalletLoadView>>> (string memberId, LoadWalletRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("paymentMethodId", body.PaymentMethodId, 255);
                if (body.Amount is null) check.Missing("amount");
                Money(check, "amount", body.Amount);
                if (body.AutoReload is { } ar)
                {
                    if (ar.Threshold is null) check.Missing("autoReload.threshold");
                    if (ar.ReloadAmount is null) check.Missing("autoReload.reloadAmount");
                    if (ar.Threshold is not null && (ar.Threshold <= 0 || decimal.Round(ar.Threshold.Value, 2) != ar.Threshold || ar.Threshold > 100_000))
                        check.Invalid("autoReload.threshold", "threshold must be a positive amount with at most two decimals.");
                    Money(check, "autoReload.reloadAmount", ar.ReloadAmount);
                }
                var key = Key(check, http, body.IdempotencyKey);
                check.ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var id = Member(memberId);
                var loadId = LoyaltyIds.FromKey("wld", $"{scope}|{id}|{key}");
                var load = await grains.GetWallet(scope, id).LoadAsync(loadId, new WalletLoadRequest(id, body.Amount!.Value, body.PaymentMethodId,
                    body.AutoReload is { } a ? new AutoReloadInput(a.Threshold!.Value, a.ReloadAmount!.Value) : null, key, body.DisableAutoReload ?? false));
                var location = $"/v1/loyalty/members/{id}/wallet/loads/{load.LoadId}";
                return load.Status == "succeeded" ? TypedResults.Created(location, load) : TypedResults.Accepted(location, load);
            })
            .RequireTenant(Role.Agent)
            .WithName("LoadWallet").WithSummary("Top up the wallet by card (Stripe PaymentIntent); 201 when credited, 202 while Stripe confirms, 402 PAYMENT_FAILED. Optional autoReload {threshold, reloadAmount}.");

        group.MapGet("/members/{memberId}/wallet/loads/{loadId}", (string memberId, string loadId, HttpContext http, IGrainFactory grains) =>
                grains.GetLoyaltyDirectory(http.Caller().Scope).GetLoadAsync(Member(memberId), Ids.IsValid(loadId, "wld") ? loadId : throw CloudFranException.NotFound("Wallet load")))
            .WithName("GetWalletLoad").WithSummary("Status of one wallet load.");

        group.MapPost("/members/{memberId}/wallet/loads/{loadId}/refund", async Task<Created<WalletRefundView>> (string memberId, string loadId,
                RefundWalletLoadRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("reason", body.Reason, 200);
                Money(check, "amount", body.Amount);
                var key = Key(check, http, body.IdempotencyKey);
                var id = Member(memberId);
                if (!Ids.IsValid(loadId, "wld")) throw CloudFranException.NotFound("Wallet load");
                check.ThrowIfInvalid();
                var refund = await grains.GetWallet(http.Caller().Scope, id).RefundLoadAsync(new WalletRefundRequest(loadId, body.Amount, body.Reason, key));
                return TypedResults.Created($"/v1/loyalty/members/{id}/wallet/loads/{loadId}", refund);
            })
            .RequireTenant(Role.Manager)
            .WithName("RefundWalletLoad").WithSummary("Refund a succeeded load to the card (Stripe Refund) and debit the wallet once; amount defaults to the unrefunded remainder; 409 INSUFFICIENT_FUNDS before Stripe when it would overdraw and the program forbids negative balances after refunds; 502 STRIPE_UNAVAILABLE leaves the wallet untouched.");

        group.MapPost("/members/{memberId}/wallet/spend", async Task<Created<LedgerEntryView>> (string memberId, SpendWalletRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("reference", body.Reference, 200);
                if (body.Amount is null) check.Missing("amount");
                Money(check, "amount", body.Amount);
                LocationField(check, "locationId", body.LocationId);
                var key = Key(check, http, body.IdempotencyKey);
                check.ThrowIfInvalid();
                var entry = await grains.GetWallet(http.Caller().Scope, Member(memberId)).SpendAsync(
                    new WalletSpendRequest(body.Amount!.Value, body.Reference, body.LocationId, key));
                return TypedResults.Created($"/v1/loyalty/members/{memberId}/history", entry);
            })
            .RequireTenant(Role.Agent)
            .WithName("SpendWallet").WithSummary("Pay at checkout from the wallet (409 INSUFFICIENT_FUNDS); may start one auto-reload.");

        // ------------------------------------------------------------ transfers
        group.MapPost("/transfers", async Task<Created<TransferView>> (CreateTransferRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("note", body.Note, 500);
                if (body.From is null) check.Missing("from"); else if (!Ids.IsValid(body.From, "mem")) check.Invalid("from", "from must be a member id (mem_…).");
                if (body.To is null) check.Missing("to"); else if (!Ids.IsValid(body.To, "mem")) check.Invalid("to", "to must be a member id (mem_…).");
                check.Range("points", body.Points, 0, 100_000_000);
                if (body.Amount is not null && body.Amount != 0) Money(check, "amount", body.Amount);
                if ((body.Points ?? 0) == 0 && (body.Amount ?? 0) == 0) check.Invalid("points", "Send points and/or amount (greater than zero).");
                var key = http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } h ? h : body.IdempotencyKey;
                if (key is null) check.Missing("idempotencyKey");
                check.Text("idempotencyKey", key, 255);
                check.ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var transfer = await grains.GetLoyaltyTransfer(scope, LoyaltyIds.FromKey("xfr", $"{scope}|{key}"))
                    .TransferAsync(new TransferRequest(body.From!, body.To!, body.Points ?? 0, body.Amount ?? 0, body.Note, key!));
                return TypedResults.Created($"/v1/loyalty/transfers/{transfer.TransferId}", transfer);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateLoyaltyTransfer").WithSummary("Move points and/or wallet funds between two members exactly once (idempotencyKey required; a retry completes an interrupted transfer).");

        group.MapGet("/transfers/{transferId}", (string transferId, HttpContext http, IGrainFactory grains) =>
                grains.GetLoyaltyDirectory(http.Caller().Scope).GetTransferAsync(Ids.IsValid(transferId, "xfr") ? transferId : throw CloudFranException.NotFound("Transfer")))
            .WithName("GetLoyaltyTransfer").WithSummary("One transfer and its state (pending, debited, completed, failed).");

        // ------------------------------------------------------------ check-ins, referrals, stats
        group.MapPost("/checkins", async Task<Created<CheckinView>> (CreateCheckinRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("qrCode", body.QrCode, 64);
                if (body.LocationId is null) check.Missing("locationId");
                LocationField(check, "locationId", body.LocationId);
                check.ThrowIfInvalid();
                var checkin = await grains.GetLoyaltyDirectory(http.Caller().Scope).CheckInAsync(new CheckinRequest(body.QrCode!.Trim(), body.LocationId!));
                return TypedResults.Created($"/v1/loyalty/members/{checkin.MemberId}/history", checkin);
            })
            .RequireTenant(Role.Agent)
            .WithName("LoyaltyCheckin").WithSummary("QR check-in: visit points once per day, streaks, badges.");

        group.MapPost("/referrals", async Task<Created<ReferralView>> (CreateReferralRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().OneOf("channel", body.Channel, ["sms", "email", "link"]).Phone("recipientPhone", body.RecipientPhone);
                if (body.MemberId is null) check.Missing("memberId");
                else if (!Ids.IsValid(body.MemberId, "mem")) check.Invalid("memberId", "memberId must be a member id (mem_…).");
                check.ThrowIfInvalid();
                var referral = await grains.GetLoyaltyDirectory(http.Caller().Scope).CreateReferralAsync(body.MemberId!, body.Channel ?? "link", body.RecipientPhone);
                return TypedResults.Created($"/v1/loyalty/referrals/{referral.ReferralId}", referral);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateReferral").WithSummary("A referral code/link (channel sms|email|link); completes when the referred member's first purchase is earned.");

        group.MapGet("/stats", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var location = check.Text(http, "locationId", 40);
                LocationField(check, "locationId", location);
                check.ThrowIfInvalid();
                return grains.GetLoyaltyDirectory(http.Caller().Scope).StatsAsync(location);
            })
            .WithName("LoyaltyStats").WithSummary("Members, points earned/redeemed, check-ins and wallet totals for a location (or all).");

        // ------------------------------------------------------------ gift cards
        group.MapPost("/gift-cards", async Task<Created<GiftCardView>> (CreateGiftCardRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("recipientName", body.RecipientName, 200).Phone("recipientPhone", body.RecipientPhone)
                    .Email("recipientEmail", body.RecipientEmail).Text("message", body.Message, 300);
                if (body.Amount is null) check.Missing("amount");
                Money(check, "amount", body.Amount);
                if (body.Amount > 10_000) check.Invalid("amount", "A gift card holds at most 10,000.00.");
                LocationField(check, "locationId", body.LocationId);
                check.ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var card = await grains.GetGiftCard(scope, Ids.New("gft")).IssueAsync(new GiftCardInput(body.Amount!.Value, body.RecipientName,
                    body.RecipientPhone, body.RecipientEmail, body.Message, body.Activate ?? true, body.LocationId));
                return TypedResults.Created($"/v1/loyalty/gift-cards/{card.GiftCardId}", card);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateGiftCard").WithSummary("Issue a gift card: unguessable code (shown once), SMS to recipientPhone (opt-out respected); activate=false leaves it pending.");

        group.MapGet("/gift-cards/{giftCardId}", (string giftCardId, HttpContext http, IGrainFactory grains) =>
                grains.GetGiftCard(http.Caller().Scope, GiftCard(giftCardId)).GetAsync())
            .WithName("GetGiftCard").WithSummary("A gift card's state and balance (never its code).");

        group.MapPost("/gift-cards/{giftCardId}/activate", (string giftCardId, HttpContext http, IGrainFactory grains) =>
                grains.GetGiftCard(http.Caller().Scope, GiftCard(giftCardId)).ActivateAsync())
            .RequireTenant(Role.Agent)
            .WithName("ActivateGiftCard").WithSummary("pending → active.");

        group.MapPost("/gift-cards/{giftCardId}/void", (string giftCardId, HttpContext http, IGrainFactory grains) =>
                grains.GetGiftCard(http.Caller().Scope, GiftCard(giftCardId)).VoidAsync())
            .RequireTenant(Role.Manager)
            .WithName("VoidGiftCard").WithSummary("Void a card; its remaining balance leaves the ledger.");

        group.MapPost("/gift-cards/lookup", (LookupGiftCardRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("code", body.Code, 40).ThrowIfInvalid();
                return grains.GetLoyaltyDirectory(http.Caller().Scope).LookupGiftCardAsync(body.Code!);
            })
            .WithName("LookupGiftCard").WithSummary("Balance and state by code (POST so the code stays out of URLs and logs).");

        group.MapPost("/gift-cards/redeem", (RedeemGiftCardRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("code", body.Code, 40).Text("reference", body.Reference, 200);
                if (body.MemberId is not null && !Ids.IsValid(body.MemberId, "mem")) check.Invalid("memberId", "memberId must be a member id (mem_…).");
                Money(check, "amount", body.Amount);
                var key = Key(check, http, body.IdempotencyKey);
                check.ThrowIfInvalid();
                return grains.GetLoyaltyDirectory(http.Caller().Scope).RedeemGiftCardAsync(
                    new GiftCardRedeemRequest(body.Code!, body.MemberId, body.Amount, body.Reference, key));
            })
            .RequireTenant(Role.Agent)
            .WithName("RedeemGiftCard").WithSummary("Partial or full redemption into a member's wallet (memberId) or at checkout; exactly once per idempotency key.");

        return group;
    }

    private static string Member(string memberId) =>
        Ids.IsValid(memberId, "mem") ? memberId : throw CloudFranException.NotFound("Member");

    private static string GiftCard(string id) =>
        Ids.IsValid(id, "gft") ? id : throw CloudFranException.NotFound("Gift card");

    private static void LocationField(Check check, string field, string? value)
    {
        if (value is not null && !Ids.IsValid(value, "loc"))
        {
            check.Invalid(field, $"{field} must be a location id (loc_…).");
        }
    }

    /// <summary>Positive money with at most two decimals, at most 1,000,000.00.</summary>
    private static void Money(Check check, string field, decimal? value)
    {
        if (value is { } v && (v <= 0 || v > 1_000_000m || decimal.Round(v, 2) != v))
        {
            check.Invalid(field, $"{field} must be a positive amount with at most two decimals (at most 1,000,000.00).");
        }
    }

    /// <summary>The Idempotency-Key header, else the body's idempotencyKey, else a fresh key (no replay protection).</summary>
    private static string Key(Check check, HttpContext http, string? bodyKey)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } h ? h : bodyKey;
        check.Text("idempotencyKey", key, 255);
        return key ?? Ids.New("idem", 24);
    }
}
