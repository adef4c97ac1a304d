using CloudFran.Abstractions.Voice;
using static CloudFran.Grains.Voice.SpokenText;

namespace CloudFran.Grains.Voice;

/// <summary>
/// Taking a phone order: menu items heard are added to the call's order, read back, and the order is confirmed
/// once it has items and a name. Works on the call's <see cref="CallState"/>; placing the order is the caller's job.
/// </summary>
public static class OrderTaking
{
    /// <summary>Adds the menu items in <paramref name="text"/> to the order, merging repeats.</summary>
    public static void AddItems(CallState state, string text, IReadOnlyList<MenuItem> menu)
    {
        var lines = OfflineConversationEngine.ExtractItems(OfflineConversationEngine.DigitsText(text), menu);
        foreach (var line in lines)
        {
            var existing = state.Order.FindIndex(o => o.Item == line.Item);
            if (existing >= 0) state.Order[existing] = state.Order[existing] with { Quantity = state.Order[existing].Quantity + line.Quantity };
            else state.Order.Add(line);
        }
        state.Intent = VoiceIntents.PlaceOrder;
    }

    /// <summary>"2 Cheeseburger, 1 Fries".</summary>
    public static string OrderText(CallState state) => string.Join(", ", state.Order.Select(o => $"{o.Quantity} {o.Item}"));

    public static decimal Total(CallState state) => state.Order.Sum(o => o.Quantity * o.UnitPrice);

    /// <summary>The first six menu items, as offered on the phone.</summary>
    public static string MenuList(IReadOnlyList<MenuItem> menu) => string.Join(", ", menu.Take(6).Select(m => m.Name));

    /// <summary>Reads the order back and asks for more.</summary>
    public static string SoFar(CallState state)
    {
        state.Pending = "order_more";
        return L(state.Language, $"Got it: {OrderText(state)}. Anything else?", $"Anotado: {OrderText(state)}. ¿Algo más?");
    }

    /// <summary>Asks for what is missing (items, a name), then for the confirmation with the total.</summary>
    public static string Ready(CallState state)
    {
        if (state.Order.Count == 0)
        {
            state.Pending = "items";
            return L(state.Language, "What would you like to order?", "¿Qué le gustaría pedir?");
        }
        if (!state.Slots.ContainsKey("name"))
        {
            state.Pending = "name";
            return L(state.Language, "What name is the order under?", "¿A nombre de quién es el pedido?");
        }
        var total = Total(state);
        state.Pending = "confirm_order";
        return L(state.Language, $"That's {OrderText(state)}, for a total of ${total:0.00}, under {state.Slots["name"]}. Shall I place the order?",
            $"Son {OrderText(state)}, con un total de ${total:0.00}, a nombre de {state.Slots["name"]}. ¿Hago el pedido?");
    }

    /// <summary>The text message that confirms a placed order.</summary>
    public static string Confirmation(CallState state, string businessName)
    {
        var total = Total(state);
        return L(state.Language, $"{businessName}: order received — {OrderText(state)}, total ${total:0.00}. Reply STOP to opt out.",
            $"{businessName}: pedido recibido — {OrderText(state)}, total ${total:0.00}. Responda STOP para no recibir mensajes.");
    }
}
