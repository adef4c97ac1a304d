using System.Globalization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// Deterministic planning over the inventory data: purchase suggestions (consumption velocity, lead time, stock
/// position, levels, budget), margin-based pricing and an offline assistant for the common questions. Every line
/// carries its arithmetic in words so a manager can check it.
/// </summary>
public sealed class InventoryPlanner(PlatformDb db, TimeProvider clock, TenantScope scope)
{
    public const int VelocityWindowDays = 28;
    public const int DefaultLeadTimeDays = 7;
    public const int DefaultUrgencyDays = 7;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Position(string ItemId, string Sku, string Name, string? SupplierId, decimal? Cost, decimal? Price, decimal OnHand,
        decimal Reserved, decimal InTransit, decimal? Min, decimal? ReorderPoint, decimal? Max, decimal? Multiple, int? LeadTime,
        decimal Sold, double HistoryDays, string Status);

    private async Task<List<Position>> PositionsAsync(string locationId)
    {
        var since = clock.GetUtcNow().AddDays(-VelocityWindowDays);
        var now = clock.GetUtcNow();
        return await db.QueryAsync(
            """
            SELECT i.item_id, i.sku, i.name, i.supplier_id, i.cost, i.price, s.on_hand, s.reserved, s.in_transit, s.min_qty, s.reorder_point,
                   s.max_qty, s.reorder_multiple, sup.lead_time_days,
                   coalesce(sales.sold, 0) AS sold,
                   extract(epoch FROM (@now - greatest(@since, coalesce(first.first_at, @now)))) / 86400.0 AS days,
                   s.status
              FROM inventory_stock s
              JOIN inventory_items i ON i.tenant_id = s.tenant_id AND i.env = s.env AND i.item_id = s.item_id AND i.deleted_at IS NULL
              LEFT JOIN inventory_suppliers sup ON sup.tenant_id = i.tenant_id AND sup.env = i.env AND sup.supplier_id = i.supplier_id
              LEFT JOIN LATERAL (SELECT -sum(l.applied_delta) AS sold FROM inventory_ledger l
                                  WHERE l.tenant_id = s.tenant_id AND l.env = s.env AND l.location_id = s.location_id AND l.item_id = s.item_id
                                    AND l.reason = 'sale' AND l.applied AND l.client_ts >= @since) sales ON true
              LEFT JOIN LATERAL (SELECT min(l.client_ts) AS first_at FROM inventory_ledger l
                                  WHERE l.tenant_id = s.tenant_id AND l.env = s.env AND l.item_id = s.item_id AND l.location_id = s.location_id) first ON true
             WHERE s.tenant_id = @t AND s.env = @e AND s.location_id = @loc AND NOT i.discontinued
            """,
            r => new Position(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetDecimal(4), r.IsDBNull(5) ? null : r.GetDecimal(5), r.GetDecimal(6), r.GetDecimal(7), r.GetDecimal(8),
                r.IsDBNull(9) ? null : r.GetDecimal(9), r.IsDBNull(10) ? null : r.GetDecimal(10), r.IsDBNull(11) ? null : r.GetDecimal(11),
                r.IsDBNull(12) ? null : r.GetDecimal(12), r.IsDBNull(13) ? null : r.GetInt32(13), r.GetDecimal(14), Convert.ToDouble(r.GetValue(15), Inv),
                r.GetString(16)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("loc", locationId), ("since", since), ("now", now));
    }

    private async Task RequireLocationAsync(string locationId)
    {
        if (await db.ScalarAsync<string>("SELECT location_id FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @l",
                ("t", scope.TenantId), ("e", scope.EnvName), ("l", locationId)) is null)
        {
            throw CloudFranException.NotFound("Location");
        }
    }

    public async Task<ReorderPlan> ReorderAsync(ReorderRequest request)
    {
        await RequireLocationAsync(request.LocationId);
        var urgencyDays = request.UrgencyDays ?? DefaultUrgencyDays;
        var candidates = new List<ReorderLine>();
        var multiples = new Dictionary<string, decimal>();
        foreach (var p in await PositionsAsync(request.LocationId))
        {
            var days = Math.Max(1.0, Math.Min(VelocityWindowDays, p.HistoryDays));
            var velocity = Math.Round(p.Sold / (decimal)days, 3);
            var lead = p.LeadTime ?? DefaultLeadTimeDays;
            var position = p.OnHand + p.InTransit - p.Reserved;
            decimal? cover = velocity > 0 ? Math.Round(position / velocity, 1) : null;
            var low = p.ReorderPoint ?? p.Min;
            var horizon = lead + urgencyDays;
            var belowLevel = low is not null && position <= low;
            var runsOut = cover is not null && cover <= horizon;
            if (!belowLevel && !runsOut && position > 0)
            {
                continue;
            }
            var demand = velocity * horizon;
            var target = p.Max ?? Math.Max(low ?? 0, Math.Ceiling(demand + (low ?? 0)));
            var quantity = target - position;
            var why = new List<string>
            {
                velocity > 0
                    ? $"sold {Fmt(p.Sold)} in the last {days:0.#} days = {Fmt(velocity)}/day"
                    : "no sales recorded in the velocity window",
                $"position {Fmt(p.OnHand)} on hand + {Fmt(p.InTransit)} in transit − {Fmt(p.Reserved)} reserved = {Fmt(position)}",
            };
            if (cover is not null) why.Add($"covers {Fmt(cover.Value)} days against lead time {lead} + urgency {urgencyDays} = {horizon} days");
            if (belowLevel) why.Add($"at or below the reorder point {Fmt(low!.Value)}");
            why.Add(p.Max is not null
                ? $"order up to max {Fmt(p.Max.Value)}"
                : $"no max set: order up to {(low is null ? "" : $"reorder point {Fmt(low.Value)} + ")}{horizon} days of demand ({Fmt(demand)}) = {Fmt(target)}");
            if (quantity <= 0)
            {
                continue;
            }
            if (p.Multiple is > 0 and var m)
            {
                multiples[p.ItemId] = m;
                var rounded = Math.Ceiling(quantity / m) * m;
                why.Add($"need {Fmt(quantity)}, rounded up to a multiple of {Fmt(m)} = {Fmt(rounded)}");
                quantity = rounded;
            }
            else
            {
                quantity = Math.Ceiling(quantity);
            }
            var urgency = position <= 0 || (cover is not null && cover <= lead) ? "critical" : "soon";
            decimal? lineCost = p.Cost is null ? null : Math.Round(quantity * p.Cost.Value, 2);
            why.Add(lineCost is null ? "no unit cost recorded: not counted against the budget" : $"cost {Fmt(quantity)} × {Fmt(p.Cost!.Value)} = {Fmt(lineCost.Value)}");
            candidates.Add(new ReorderLine(p.ItemId, p.Sku, p.Name, p.SupplierId, p.OnHand, p.InTransit, p.Reserved, velocity, cover, lead, quantity,
                p.Cost, lineCost, urgency, true, string.Join("; ", why) + "."));
        }

        // Most urgent first: critical before soon, then the fewest days of cover, then the SKU for a stable order.
        var ordered = candidates.OrderBy(c => c.Urgency == "critical" ? 0 : 1).ThenBy(c => c.DaysOfCover ?? -1).ThenBy(c => c.Sku, StringComparer.Ordinal).ToList();
        var lines = new List<ReorderLine>();
        var deferred = new List<ReorderLine>();
        var spent = 0m;
        foreach (var line in ordered)
        {
            var cost = line.LineCost ?? 0;
            if (request.Budget is not { } budget || spent + cost <= budget)
            {
                spent += cost;
                lines.Add(line);
                continue;
            }
            // Partial quantity that still fits (in whole order multiples).
            var remaining = budget - spent;
            if (line.UnitCost is > 0 and var unit)
            {
                var step = multiples.GetValueOrDefault(line.ItemId, 1m);
                var affordable = Math.Floor(Math.Floor(remaining / unit) / step) * step;
                if (affordable > 0 && affordable < line.SuggestedQuantity)
                {
                    var partCost = Math.Round(affordable * unit, 2);
                    var rest = line.SuggestedQuantity - affordable;
                    spent += partCost;
                    lines.Add(line with
                    {
                        SuggestedQuantity = affordable, LineCost = partCost,
                        Explanation = line.Explanation.TrimEnd('.') + $"; the budget left ({Fmt(remaining)}) buys {Fmt(affordable)} of {Fmt(line.SuggestedQuantity)} ({Fmt(partCost)}).",
                    });
                    deferred.Add(line with
                    {
                        SuggestedQuantity = rest, LineCost = Math.Round(rest * unit, 2), WithinBudget = false,
                        Explanation = $"The remaining {Fmt(rest)} of this line does not fit the budget of {Fmt(budget)}.",
                    });
                    continue;
                }
            }
            deferred.Add(line with { WithinBudget = false, Explanation = line.Explanation.TrimEnd('.') + $"; left out: {Fmt(cost)} exceeds the {Fmt(budget - spent)} left of the budget." });
        }
        return new ReorderPlan(request.LocationId, request.Budget, urgencyDays, VelocityWindowDays, spent, lines, deferred,
            $"Velocity = units sold (reason 'sale') over the last {VelocityWindowDays} days (or since the first stock entry, if later) per day. " +
            $"An item is suggested when its position (on hand + in transit − reserved) is at or below its reorder point (or min), or covers no more than " +
            $"the supplier lead time (default {DefaultLeadTimeDays} days) + urgencyDays. Quantity fills up to max (or reorder point + demand over that horizon), " +
            "rounded up to the order multiple. Lines are funded most urgent first within the budget.");
    }

    public async Task<PricingResult> PricingAsync(PricingRequest request)
    {
        var ids = request.ItemIds?.ToArray();
        var items = await db.QueryAsync(
            $"""
            SELECT {InventoryRows.ItemColumns} FROM inventory_items i
             WHERE i.tenant_id = @t AND i.env = @e AND i.deleted_at IS NULL AND (@ids::text[] IS NULL OR i.item_id = ANY(@ids::text[]))
             ORDER BY i.name, i.item_id LIMIT 500
            """, r => InventoryRows.ReadItem(r), ("t", scope.TenantId), ("e", scope.EnvName), ("ids", ids));
        if (ids is not null)
        {
            var missing = ids.Except(items.Select(i => i.ItemId)).ToList();
            if (missing.Count > 0)
            {
                throw new CloudFranException(ErrorKind.NotFound, ErrorCodes.ResourceNotFound, "Some items were not found.",
                    missing.Select(m => new FieldError("itemIds", $"{m} was not found")).ToList());
            }
        }
        var target = request.TargetMargin;
        var lines = items.Select(i =>
        {
            if (i.Cost is not { } cost || cost <= 0)
            {
                return new PricingLine(i.ItemId, i.Sku, i.Name, i.Cost, i.Price, Margin(i.Cost, i.Price), null, null, null,
                    "No unit cost recorded: a margin-based price cannot be computed.");
            }
            var exact = cost / (1 - target / 100m);
            var rounded = Math.Ceiling(exact * 100m) / 100m; // up to the cent so the margin is never below target
            var current = Margin(cost, i.Price);
            if (i.Price is { } price && current >= target)
            {
                return new PricingLine(i.ItemId, i.Sku, i.Name, cost, price, current, price, current, 0m,
                    $"Current margin ({Fmt(price)} − {Fmt(cost)}) / {Fmt(price)} = {Fmt(current!.Value)}% already meets {Fmt(target)}%; " +
                    $"keep the price (the target alone would allow {Fmt(rounded)}).");
            }
            var suggestedMargin = Math.Round((rounded - cost) / rounded * 100m, 2);
            return new PricingLine(i.ItemId, i.Sku, i.Name, cost, i.Price, current, rounded, suggestedMargin, i.Price is null ? null : rounded - i.Price.Value,
                $"price = cost / (1 − margin) = {Fmt(cost)} / (1 − {Fmt(target / 100m)}) = {Fmt(Math.Round(exact, 4))}, rounded up to {Fmt(rounded)}; " +
                $"margin ({Fmt(rounded)} − {Fmt(cost)}) / {Fmt(rounded)} = {Fmt(suggestedMargin)}%" +
                (current is null ? "." : $" (now {Fmt(current.Value)}%)."));
        }).ToList();
        return new PricingResult(target, lines,
            "Margin on price: margin% = (price − cost) / price × 100; the suggested price is the lowest cent price reaching targetMargin. " +
            "Prices already at or above the target margin are kept.");
    }

    private static decimal? Margin(decimal? cost, decimal? price) =>
        cost is { } c && price is > 0 and var p ? Math.Round((p - c) / p * 100m, 2) : null;

    public async Task<AssistantAnswer> AskAsync(AssistantRequest request)
    {
        var q = request.Question.Trim().ToLowerInvariant();
        if (request.LocationId is not null)
        {
            await RequireLocationAsync(request.LocationId);
        }
        var where = request.LocationId is null ? "across all locations" : $"at {request.LocationId}";
        if (Has(q, "reorder", "re-order", "what should i order", "what to order", "buy", "purchase"))
        {
            if (request.LocationId is null)
            {
                return Answer("reorder", "Tell me which store (locationId) to plan a reorder for.", []);
            }
            var plan = await ReorderAsync(new ReorderRequest(request.LocationId, null, null));
            return Answer("reorder", plan.Lines.Count == 0
                    ? $"Nothing needs reordering {where} right now."
                    : $"{plan.Lines.Count} item(s) to reorder {where}, total {Fmt(plan.TotalCost)}:",
                plan.Lines.Select(l => $"{l.Sku} {l.Name}: order {Fmt(l.SuggestedQuantity)} ({l.Urgency}) — {l.Explanation}").ToList());
        }
        if (Has(q, "best sell", "best-sell", "top sell", "selling", "bestseller", "most sold", "top item", "popular"))
        {
            var since = clock.GetUtcNow().AddDays(-VelocityWindowDays);
            var top = await db.QueryAsync(
                """
                SELECT i.sku, i.name, -sum(l.applied_delta) AS sold FROM inventory_ledger l
                  JOIN inventory_items i ON i.tenant_id = l.tenant_id AND i.env = l.env AND i.item_id = l.item_id
                 WHERE l.tenant_id = @t AND l.env = @e AND l.reason = 'sale' AND l.applied AND l.client_ts >= @since
                   AND (@loc::text IS NULL OR l.location_id = @loc::text)
                 GROUP BY i.sku, i.name ORDER BY sold DESC, i.sku LIMIT 10
                """, r => $"{r.GetString(0)} {r.GetString(1)}: {Fmt(r.GetDecimal(2))} sold",
                ("t", scope.TenantId), ("e", scope.EnvName), ("since", since), ("loc", request.LocationId));
            return Answer("best_sellers", top.Count == 0
                ? $"No sales recorded {where} in the last {VelocityWindowDays} days."
                : $"Best sellers {where} over the last {VelocityWindowDays} days:", top);
        }
        var wantsOut = Has(q, "out of stock", "out-of-stock", "sold out", "stockout", "stock out", "run out", "ran out");
        var wantsLow = Has(q, "low", "running low", "below", "short");
        if (wantsOut || wantsLow)
        {
            var statuses = wantsOut && wantsLow ? new[] { "out_of_stock", "low_stock" } : wantsOut ? ["out_of_stock"] : ["low_stock", "out_of_stock"];
            var rows = await db.QueryAsync(
                """
                SELECT i.sku, i.name, s.location_id, s.on_hand, s.status, coalesce(s.reorder_point, s.min_qty) FROM inventory_stock s
                  JOIN inventory_items i ON i.tenant_id = s.tenant_id AND i.env = s.env AND i.item_id = s.item_id AND i.deleted_at IS NULL
                 WHERE s.tenant_id = @t AND s.env = @e AND s.status = ANY(@statuses) AND NOT i.discontinued
                   AND (@loc::text IS NULL OR s.location_id = @loc::text)
                 ORDER BY s.on_hand, i.sku LIMIT 50
                """,
                r => $"{r.GetString(0)} {r.GetString(1)} at {r.GetString(2)}: {Fmt(r.GetDecimal(3))} on hand" +
                     (r.IsDBNull(5) ? "" : $" (reorder point {Fmt(r.GetDecimal(5))})") + $" — {r.GetString(4).Replace('_', ' ')}",
                ("t", scope.TenantId), ("e", scope.EnvName), ("statuses", statuses), ("loc", request.LocationId));
            var label = wantsOut && !wantsLow ? "out of stock" : "low or out of stock";
            return Answer(wantsOut && !wantsLow ? "out_of_stock" : "low_stock",
                rows.Count == 0 ? $"Nothing is {label} {where}." : $"{rows.Count} item(s) {label} {where}:", rows);
        }
        // Stock of an item: find an item whose SKU, barcode or name appears in the question.
        var matches = await db.QueryAsync(
            """
            SELECT i.item_id, i.sku, i.name FROM inventory_items i
             WHERE i.tenant_id = @t AND i.env = @e AND i.deleted_at IS NULL
               AND (position(lower(i.sku) IN @q) > 0 OR position(lower(i.name) IN @q) > 0
                    OR EXISTS (SELECT 1 FROM unnest(i.barcodes) b WHERE position(b IN @q) > 0))
             ORDER BY greatest(length(i.name), length(i.sku)) DESC LIMIT 1
            """, r => (Id: r.GetString(0), Sku: r.GetString(1), Name: r.GetString(2)), ("t", scope.TenantId), ("e", scope.EnvName), ("q", q));
        if (matches.Count == 1)
        {
            var item = matches[0];
            var stock = await db.QueryAsync(
                """
                SELECT location_id, on_hand, reserved, in_transit, status FROM inventory_stock
                 WHERE tenant_id = @t AND env = @e AND item_id = @id AND (@loc::text IS NULL OR location_id = @loc::text) ORDER BY location_id
                """,
                r => $"{r.GetString(0)}: {Fmt(r.GetDecimal(1))} on hand, {Fmt(r.GetDecimal(2))} reserved, {Fmt(r.GetDecimal(3))} in transit ({r.GetString(4).Replace('_', ' ')})",
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", item.Id), ("loc", request.LocationId));
            return Answer("item_stock", stock.Count == 0
                ? $"{item.Sku} {item.Name} has no stock recorded {where}."
                : $"Stock of {item.Sku} {item.Name} {where}:", stock);
        }
        return Answer("unknown",
            "I can answer offline: what is low or out of stock (at a store), what to reorder, the best sellers, and the stock of an item " +
            "(name its SKU, barcode or name).", []);
    }

    private static AssistantAnswer Answer(string intent, string text, IReadOnlyList<string> lines) => new(intent, text, lines, "offline");

    /// <summary>True when a phrase occurs at the start of a word ("low" does not match "slow"; "sell" matches "sellers").</summary>
    private static bool Has(string q, params string[] phrases) =>
        phrases.Any(p => System.Text.RegularExpressions.Regex.IsMatch(q, $"(?<![a-z0-9]){System.Text.RegularExpressions.Regex.Escape(p)}"));

    private static string Fmt(decimal value) => value.ToString("0.###", Inv);
}
