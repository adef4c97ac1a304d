using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Inventory;

/// <summary>Multi-location inventory: items, stock ledger, transfers, CSV, suppliers and planning helpers.</summary>
public static class InventoryApi
{
    private const decimal MaxQuantity = 1_000_000_000m;

    public static RouteGroupBuilder MapInventoryApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/inventory").WithTags("Inventory").RequireTenant(Role.Viewer);

        group.MapPost("/items", async Task<Created<ItemView>> (ItemRequest body, HttpContext http, IGrainFactory grains) =>
            {
                ValidateItem(body, create: true);
                var item = await grains.GetInventoryItem(http.Caller().Scope, Ids.New("itm")).CreateAsync(ToInput(body));
                return TypedResults.Created($"/v1/inventory/items/{item.ItemId}", item);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateInventoryItem").WithSummary("An item: sku (unique per tenant), name, barcodes, category, unit, cost, price, supplierId.");

        group.MapGet("/items", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var category = check.Text(http, "category", 100);
                var storeId = check.Text(http, "storeId", 60);
                if (storeId is not null && !Ids.IsValid(storeId, "loc")) check.Invalid("storeId", "storeId must be a location id (loc_…).");
                var status = check.Enum(http, "status", InventoryValues.Statuses);
                var search = check.Text(http, "search", 100);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).ListItemsAsync(new ItemQuery(category, storeId, status, search, page, pageSize));
            })
            .WithName("ListInventoryItems").WithSummary("Items by category, storeId, status (per location when storeId is given) and search over name, SKU and barcodes; paged.");

        group.MapGet("/items/by-barcode/{code}", (string code, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("code", code, 64).ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).GetByBarcodeAsync(code);
            })
            .WithName("GetInventoryItemByBarcode").WithSummary("The item a scanned barcode identifies.");

        group.MapGet("/items/{itemId}", (string itemId, HttpContext http, IGrainFactory grains) =>
                Item(grains, http, itemId).GetAsync())
            .WithName("GetInventoryItem").WithSummary("One item with its stock at every location.");

        group.MapPatch("/items/{itemId}", (string itemId, ItemRequest body, HttpContext http, IGrainFactory grains) =>
            {
                ValidateItem(body, create: false);
                return Item(grains, http, itemId).UpdateAsync(ToInput(body));
            })
            .RequireTenant(Role.Manager)
            .WithName("UpdateInventoryItem").WithSummary("Change item fields (absent = unchanged); barcodes replace the list; discontinued true/false.");

        group.MapDelete("/items/{itemId}", async Task<NoContent> (string itemId, HttpContext http, IGrainFactory grains) =>
            {
                await Item(grains, http, itemId).DeleteAsync();
                return TypedResults.NoContent();
            })
            .RequireTenant(Role.Manager)
            .WithName("DeleteInventoryItem").WithSummary("Remove an item (its ledger is kept); refused while stock is in transit.");

        group.MapPut("/items/{itemId}/locations/{locationId}/levels", (string itemId, string locationId, LevelsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                RequireLocation(check, "locationId", locationId);
                Quantity(check, "min", body.Min);
                Quantity(check, "reorderPoint", body.ReorderPoint);
                Quantity(check, "max", body.Max);
                Quantity(check, "reorderMultiple", body.ReorderMultiple);
                if (body.ReorderMultiple is 0) check.Invalid("reorderMultiple", "reorderMultiple must be greater than 0.");
                if (body.Max is { } max && (body.Min > max || body.ReorderPoint > max)) check.Invalid("max", "max must be at least min and reorderPoint.");
                check.ThrowIfInvalid();
                return Item(grains, http, itemId).SetLevelsAsync(locationId, new LevelsInput(body.Min, body.ReorderPoint, body.Max, body.ReorderMultiple));
            })
            .RequireTenant(Role.Manager)
            .WithName("SetInventoryLevels").WithSummary("Min, reorder point, max and order multiple of one location (null clears); other locations are untouched.");

        group.MapPost("/items/{itemId}/adjustments", async Task<Results<Created<AdjustmentResult>, Ok<AdjustmentResult>>> (string itemId, AdjustRequest body,
                HttpContext http, IGrainFactory grains) =>
            {
                var key = body.IdempotencyKey ?? (http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } h ? h : null);
                var check = new Check().Required("reason", body.Reason, 20).OneOf("reason", body.Reason, InventoryValues.Reasons)
                    .Required("idempotencyKey", key, 200).Text("note", body.Note, 500);
                if (string.IsNullOrEmpty(body.LocationId)) check.Missing("locationId");
                else RequireLocation(check, "locationId", body.LocationId);
                if (body.Delta is null == body.PhysicalCount is null)
                {
                    check.Invalid("delta", "Send exactly one of delta (a signed change) and physicalCount (the counted quantity).");
                }
                if (body.Delta is { } d)
                {
                    if (d == 0) check.Invalid("delta", "delta must not be 0.");
                    if (Math.Abs(d) > MaxQuantity || decimal.Round(d, 3) != d) check.Invalid("delta", "delta must have at most 3 decimals and be below 1e9.");
                    if (body.Reason is "sale" or "damage" && d > 0) check.Invalid("delta", $"A {body.Reason} must reduce stock (negative delta).");
                    if (body.Reason is "receive" && d < 0) check.Invalid("delta", "A receive must add stock (positive delta).");
                    if (body.Reason is "count") check.Invalid("reason", "Use physicalCount for a count.");
                }
                if (body.PhysicalCount is { } c)
                {
                    Quantity(check, "physicalCount", c);
                    if (body.Reason is not ("count" or "correction")) check.Invalid("reason", "A physical count uses reason count or correction.");
                }
                if (key is not null && key.StartsWith(InventoryValues.TransferKeyPrefix, StringComparison.Ordinal))
                {
                    check.Invalid("idempotencyKey", "Keys starting with 'tr:' are reserved for transfers.");
                }
                if (key is not null && key.StartsWith(InventoryValues.ReservationKeyPrefix, StringComparison.Ordinal))
                {
                    check.Invalid("idempotencyKey", "Keys starting with 'rs:' are reserved for reservation fulfilments.");
                }
                check.ThrowIfInvalid();
                var caller = http.Caller();
                var result = await Item(grains, http, itemId).AdjustAsync(new AdjustmentRequest(body.LocationId!, body.Delta, body.PhysicalCount,
                    body.Reason!, body.ClientTimestamp, key!, body.Note, caller.KeyId));
                return result.Replayed
                    ? TypedResults.Ok(result)
                    : TypedResults.Created($"/v1/inventory/items/{itemId}/ledger", result);
            })
            .RequireTenant(Role.Agent)
            .WithName("AdjustInventory").WithSummary(
                "A stock change at one location: delta (sale, receive, damage, correction) or physicalCount (count), optional clientTimestamp, " +
                "idempotencyKey (or Idempotency-Key header). 201 applied, 200 replay of the same key, 409 INSUFFICIENT_STOCK.");

        group.MapGet("/items/{itemId}/ledger", (string itemId, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var locationId = check.Text(http, "locationId", 60);
                if (locationId is not null) RequireLocation(check, "locationId", locationId);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).GetLedgerAsync(RequireItem(itemId), new LedgerQuery(locationId, page, pageSize));
            })
            .WithName("GetInventoryLedger").WithSummary("The item's stock history (who, when, why), newest client timestamp first.");

        group.MapPost("/items/{itemId}/reservations", async Task<Results<Created<ReservationView>, Ok<ReservationView>>> (string itemId,
                ReserveStockRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var key = body.IdempotencyKey ?? (http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } h ? h : null);
                var check = new Check().Required("idempotencyKey", key, 200).Text("reference", body.Reference, 200)
                    .Range("expiresInMinutes", body.ExpiresInMinutes, 1, InventoryValues.MaxReservationMinutes);
                if (string.IsNullOrEmpty(body.LocationId)) check.Missing("locationId");
                else RequireLocation(check, "locationId", body.LocationId);
                if (body.Quantity is not { } q) check.Missing("quantity");
                else if (q <= 0 || q > MaxQuantity || decimal.Round(q, 3) != q)
                {
                    check.Invalid("quantity", "quantity must be greater than 0 and below 1e9 with at most 3 decimals.");
                }
                check.ThrowIfInvalid();
                var result = await Item(grains, http, itemId).ReserveAsync(new ReservationRequest(Ids.New("res"), body.LocationId!, body.Quantity!.Value,
                    body.Reference, body.ExpiresInMinutes, key!, http.Caller().KeyId));
                return result.Replayed
                    ? TypedResults.Ok(result.Reservation)
                    : TypedResults.Created($"/v1/inventory/reservations/{result.Reservation.ReservationId}", result.Reservation);
            })
            .RequireTenant(Role.Agent)
            .WithName("ReserveInventory").WithSummary(
                "Hold quantity at locationId (reserved up) for an optional reference and expiresInMinutes (1–10080); idempotencyKey or " +
                "Idempotency-Key header. 201 held, 200 replay of the same key, 409 INSUFFICIENT_STOCK when available would drop below 0.");

        group.MapGet("/items/{itemId}/reservations", (string itemId, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var status = check.Enum(http, "status", InventoryValues.ReservationStatuses);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).ListReservationsAsync(RequireItem(itemId), status, page, pageSize);
            })
            .WithName("ListInventoryReservations").WithSummary("The item's reservations, newest first, optionally by status (held, released, fulfilled).");

        group.MapGet("/reservations/{reservationId}", (string reservationId, HttpContext http, IGrainFactory grains) =>
                Reservation(grains, http, reservationId).GetAsync())
            .WithName("GetInventoryReservation").WithSummary("One reservation.");

        group.MapPost("/reservations/{reservationId}/release", (string reservationId, HttpContext http, IGrainFactory grains) =>
                Reservation(grains, http, reservationId).ReleaseAsync(http.Caller().KeyId))
            .RequireTenant(Role.Agent)
            .WithName("ReleaseInventoryReservation").WithSummary("held → released: the quantity is available again. Repeating answers the same; 409 INVALID_TRANSITION when fulfilled.");

        group.MapPost("/reservations/{reservationId}/fulfill", (string reservationId, HttpContext http, IGrainFactory grains) =>
                Reservation(grains, http, reservationId).FulfillAsync(http.Caller().KeyId))
            .RequireTenant(Role.Agent)
            .WithName("FulfillInventoryReservation").WithSummary(
                "held → fulfilled: reserved and on hand go down together with one sale ledger entry, exactly once. Repeating answers the same; " +
                "409 INVALID_TRANSITION when released.");

        group.MapPost("/transfers", async Task<Created<TransferView>> (InventoryTransferRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Text("note", body.Note, 500);
                if (string.IsNullOrEmpty(body.FromLocationId)) check.Missing("fromLocationId"); else RequireLocation(check, "fromLocationId", body.FromLocationId);
                if (string.IsNullOrEmpty(body.ToLocationId)) check.Missing("toLocationId"); else RequireLocation(check, "toLocationId", body.ToLocationId);
                if (body.FromLocationId is not null && body.FromLocationId == body.ToLocationId) check.Invalid("toLocationId", "toLocationId must differ from fromLocationId.");
                if (body.Lines is null || body.Lines.Count == 0) check.Missing("lines");
                else if (body.Lines.Count > 200) check.Invalid("lines", "At most 200 lines per transfer.");
                else
                {
                    for (var i = 0; i < body.Lines.Count; i++)
                    {
                        var line = body.Lines[i];
                        if (line is null) { check.Invalid($"lines[{i}]", "A line is required."); continue; }
                        if (!Ids.IsValid(line.ItemId, "itm")) check.Invalid($"lines[{i}].itemId", "itemId must be an item id (itm_…).");
                        if (line.Quantity is not { } q) check.Missing($"lines[{i}].quantity");
                        else if (q <= 0 || q > MaxQuantity || decimal.Round(q, 3) != q) check.Invalid($"lines[{i}].quantity", "quantity must be positive with at most 3 decimals.");
                    }
                    if (body.Lines.Where(l => l?.ItemId is not null).GroupBy(l => l.ItemId).Any(g => g.Count() > 1))
                    {
                        check.Invalid("lines", "Each item may appear on one line only.");
                    }
                }
                check.ThrowIfInvalid();
                var transfer = await grains.GetInventoryTransfer(http.Caller().Scope, Ids.New("trf"))
                    .CreateAsync(new TransferInput(body.FromLocationId!, body.ToLocationId!, body.Lines!, body.Note, http.Caller().KeyId));
                return TypedResults.Created($"/v1/inventory/transfers/{transfer.TransferId}", transfer);
            })
            .RequireTenant(Role.Agent)
            .WithName("RequestInventoryTransfer").WithSummary("Request moving item lines from one location to another (status requested; emits transfer.requested).");

        group.MapGet("/transfers", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var status = check.Enum(http, "status", InventoryValues.TransferStatuses);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).ListTransfersAsync(status, page, pageSize);
            })
            .WithName("ListInventoryTransfers").WithSummary("Transfers, newest first, optionally by status.");

        group.MapGet("/transfers/{transferId}", (string transferId, HttpContext http, IGrainFactory grains) =>
                Transfer(grains, http, transferId).GetAsync())
            .WithName("GetInventoryTransfer").WithSummary("One transfer with its lines and timestamps.");

        group.MapPost("/transfers/{transferId}/approve", (string transferId, HttpContext http, IGrainFactory grains) =>
                Transfer(grains, http, transferId).ApproveAsync(http.Caller().KeyId))
            .RequireTenant(Role.Manager)
            .WithName("ApproveInventoryTransfer").WithSummary("requested → approved.");

        group.MapPost("/transfers/{transferId}/reject", (string transferId, RejectTransferRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Text("reason", body.Reason, 500).ThrowIfInvalid();
                return Transfer(grains, http, transferId).RejectAsync(body.Reason, http.Caller().KeyId);
            })
            .RequireTenant(Role.Manager)
            .WithName("RejectInventoryTransfer").WithSummary("requested → rejected (emits transfer.rejected).");

        group.MapPost("/transfers/{transferId}/ship", (string transferId, HttpContext http, IGrainFactory grains) =>
                Transfer(grains, http, transferId).ShipAsync(http.Caller().KeyId))
            .RequireTenant(Role.Agent)
            .WithName("ShipInventoryTransfer").WithSummary("approved → in_transit: stock leaves the source exactly once (retry-safe); 409 INSUFFICIENT_STOCK ships nothing.");

        group.MapPost("/transfers/{transferId}/complete", (string transferId, HttpContext http, IGrainFactory grains) =>
                Transfer(grains, http, transferId).CompleteAsync(http.Caller().KeyId))
            .RequireTenant(Role.Agent)
            .WithName("CompleteInventoryTransfer").WithSummary("in_transit → completed: stock arrives at the destination exactly once (emits transfer.completed).");

        group.MapPost("/import", (HttpContext http, IGrainFactory grains) =>
                InventoryCsv.ImportAsync(http, grains.GetInventoryDirectory(http.Caller().Scope), http.Caller().KeyId))
            .RequireTenant(Role.Manager)
            .DisableAntiforgery()
            .WithName("ImportInventoryCsv").WithSummary(
                $"multipart/form-data: file (UTF-8 CSV, ≤ {InventoryCsv.MaxFileBytes / (1024 * 1024)} MB), mode create_only | update_only | upsert, locationId. " +
                "Only that location's stock and levels change; per-row report of refused lines.");

        group.MapGet("/export", async (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var locationId = check.Text(http, "locationId", 60);
                if (locationId is not null) RequireLocation(check, "locationId", locationId);
                check.ThrowIfInvalid();
                await InventoryCsv.ExportAsync(http, grains.GetInventoryDirectory(http.Caller().Scope), locationId);
            })
            .WithName("ExportInventoryCsv").WithSummary("CSV of items with stock at locationId (the import's format), or one row per item and location.");

        group.MapPost("/suppliers", async Task<Created<SupplierView>> (SupplierRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("name", body.Name, 200).Email("contactEmail", body.ContactEmail).Range("leadTimeDays", body.LeadTimeDays, 0, 365)
                    .ThrowIfInvalid();
                var supplier = await grains.GetInventoryDirectory(http.Caller().Scope)
                    .CreateSupplierAsync(new SupplierInput(body.Name!, body.ContactEmail, body.LeadTimeDays));
                return TypedResults.Created($"/v1/inventory/suppliers/{supplier.SupplierId}", supplier);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateSupplier").WithSummary("A supplier: name (unique), contactEmail, leadTimeDays (used by reorder suggestions).");

        group.MapGet("/suppliers", (HttpContext http, IGrainFactory grains) =>
                grains.GetInventoryDirectory(http.Caller().Scope).ListSuppliersAsync())
            .WithName("ListSuppliers").WithSummary("The tenant's suppliers.");

        group.MapGet("/settings", (HttpContext http, IGrainFactory grains) =>
                grains.GetInventoryDirectory(http.Caller().Scope).GetSettingsAsync())
            .WithName("GetInventorySettings").WithSummary("Inventory settings of the tenant partition.");

        group.MapPut("/settings", (SettingsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                if (body.AllowNegativeStock is null) check.Missing("allowNegativeStock");
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).SetSettingsAsync(new InventorySettings(body.AllowNegativeStock!.Value));
            })
            .RequireTenant(Role.Admin)
            .WithName("SetInventorySettings").WithSummary("allowNegativeStock: whether sales may take on-hand below zero (default false).");

        group.MapPost("/reorder-suggestions", (ReorderSuggestionsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Range("urgencyDays", body.UrgencyDays, 0, 365);
                if (string.IsNullOrEmpty(body.LocationId)) check.Missing("locationId"); else RequireLocation(check, "locationId", body.LocationId);
                if (body.Budget is < 0 or > 1_000_000_000m) check.Invalid("budget", "budget must be between 0 and 1e9.");
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).SuggestReorderAsync(new ReorderRequest(body.LocationId!, body.Budget, body.UrgencyDays));
            })
            .WithName("ReorderSuggestions").WithSummary("Purchase suggestions for a location from sales velocity, lead time, on-hand and in-transit, within budget, explained per line.");

        group.MapPost("/pricing-optimization", (PricingOptimizationRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                if (body.TargetMargin is not { } m) check.Missing("targetMargin");
                else if (m <= 0 || m >= 100) check.Invalid("targetMargin", "targetMargin is a percentage greater than 0 and below 100.");
                if (body.ItemIds is { Count: > 500 }) check.Invalid("itemIds", "At most 500 items.");
                foreach (var (id, i) in (body.ItemIds ?? []).Select((id, i) => (id, i)))
                {
                    if (!Ids.IsValid(id, "itm")) check.Invalid($"itemIds[{i}]", "itemIds must be item ids (itm_…).");
                }
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).OptimizePricingAsync(new PricingRequest(body.ItemIds?.Distinct().ToList(), body.TargetMargin!.Value));
            })
            .WithName("PricingOptimization").WithSummary("Suggested prices reaching targetMargin (% of price), with the margin math per item.");

        group.MapPost("/assistant", (InventoryAssistantRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("question", body.Question, 500);
                if (body.LocationId is not null) RequireLocation(check, "locationId", body.LocationId);
                check.ThrowIfInvalid();
                return grains.GetInventoryDirectory(http.Caller().Scope).AskAsync(new AssistantRequest(body.Question!, body.LocationId));
            })
            .WithName("InventoryAssistant").WithSummary("Answers common stock questions (low/out at a store, what to reorder, best sellers, stock of an item) offline from the data.");

        return group;
    }

    private static void ValidateItem(ItemRequest body, bool create)
    {
        var check = new Check();
        if (create)
        {
            check.Required("sku", body.Sku, 64).Required("name", body.Name, 200);
        }
        else
        {
            check.Text("sku", body.Sku, 64).Text("name", body.Name, 200);
        }
        check.Text("category", body.Category, 100).Text("unit", body.Unit, 20);
        if (body.Barcodes is { } codes)
        {
            if (codes.Count > 20) check.Invalid("barcodes", "At most 20 barcodes.");
            for (var i = 0; i < codes.Count; i++) check.Required($"barcodes[{i}]", codes[i], 64);
        }
        if (body.Cost is < 0 or > MaxQuantity) check.Invalid("cost", "cost must be between 0 and 1e9.");
        if (body.Price is < 0 or > MaxQuantity) check.Invalid("price", "price must be between 0 and 1e9.");
        if (body.Cost is { } c && decimal.Round(c, 4) != c) check.Invalid("cost", "cost has at most 4 decimals.");
        if (body.Price is { } p && decimal.Round(p, 4) != p) check.Invalid("price", "price has at most 4 decimals.");
        if (body.SupplierId is not null && !Ids.IsValid(body.SupplierId, "sup")) check.Invalid("supplierId", "supplierId must be a supplier id (sup_…).");
        check.ThrowIfInvalid();
    }

    private static ItemInput ToInput(ItemRequest b) => new(b.Sku, b.Name, b.Barcodes, b.Category, b.Unit, b.Cost, b.Price, b.SupplierId, b.Discontinued);

    private static void Quantity(Check check, string field, decimal? value)
    {
        if (value is { } v && (v < 0 || v > MaxQuantity || decimal.Round(v, 3) != v))
        {
            check.Invalid(field, $"{field} must be between 0 and 1e9 with at most 3 decimals.");
        }
    }

    private static void RequireLocation(Check check, string field, string value)
    {
        if (!Ids.IsValid(value, "loc")) check.Invalid(field, $"{field} must be a location id (loc_…).");
    }

    private static string RequireItem(string id) => Ids.IsValid(id, "itm") ? id : throw CloudFranException.NotFound("Item");

    private static IInventoryItemGrain Item(IGrainFactory grains, HttpContext http, string itemId) =>
        grains.GetInventoryItem(http.Caller().Scope, RequireItem(itemId));

    private static IInventoryReservationGrain Reservation(IGrainFactory grains, HttpContext http, string reservationId) =>
        Ids.IsValid(reservationId, "res") ? grains.GetInventoryReservation(http.Caller().Scope, reservationId) : throw CloudFranException.NotFound("Reservation");

    private static IInventoryTransferGrain Transfer(IGrainFactory grains, HttpContext http, string transferId) =>
        Ids.IsValid(transferId, "trf") ? grains.GetInventoryTransfer(http.Caller().Scope, transferId) : throw CloudFranException.NotFound("Transfer");
}
