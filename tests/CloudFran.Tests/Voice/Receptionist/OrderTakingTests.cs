using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Voice;
using Xunit;

namespace CloudFran.Tests.Voice.Receptionist;

public sealed class OrderTakingTests
{
    private static readonly IReadOnlyList<MenuItem> Menu = ReceptionistFakes.Settings().Menu;

    [Fact]
    public void Items_heard_are_added_merged_and_read_back()
    {
        var state = new CallState();
        OrderTaking.AddItems(state, "two burgers and fries", Menu);
        Assert.Equal([new OrderLine("Cheeseburger", 2, 8.99m), new OrderLine("Fries", 1, 3.49m)], state.Order);
        Assert.Equal(VoiceIntents.PlaceOrder, state.Intent);
        OrderTaking.AddItems(state, "and one more burger", Menu);
        Assert.Equal(3, state.Order[0].Quantity);
        Assert.Equal("Got it: 3 Cheeseburger, 1 Fries. Anything else?", OrderTaking.SoFar(state));
        Assert.Equal("order_more", state.Pending);
        Assert.Equal(30.46m, OrderTaking.Total(state));
    }

    [Fact]
    public void Ready_asks_for_items_then_a_name_then_the_confirmation_with_the_total()
    {
        var state = new CallState();
        Assert.Equal("What would you like to order?", OrderTaking.Ready(state));
        Assert.Equal("items", state.Pending);
        OrderTaking.AddItems(state, "two burgers and fries", Menu);
        Assert.Equal("What name is the order under?", OrderTaking.Ready(state));
        Assert.Equal("name", state.Pending);
        state.Slots["name"] = "Ana";
        Assert.Equal("That's 2 Cheeseburger, 1 Fries, for a total of $21.47, under Ana. Shall I place the order?", OrderTaking.Ready(state));
        Assert.Equal("confirm_order", state.Pending);
        state.Language = "es";
        Assert.Equal("Son 2 Cheeseburger, 1 Fries, con un total de $21.47, a nombre de Ana. ¿Hago el pedido?", OrderTaking.Ready(state));
        Assert.Equal("BigBurger: pedido recibido — 2 Cheeseburger, 1 Fries, total $21.47. Responda STOP para no recibir mensajes.",
            OrderTaking.Confirmation(state, "BigBurger"));
        state.Language = "en";
        Assert.Equal("BigBurger: order received — 2 Cheeseburger, 1 Fries, total $21.47. Reply STOP to opt out.", OrderTaking.Confirmation(state, "BigBurger"));
    }

    [Fact]
    public void The_menu_is_offered_six_items_at_most()
    {
        var menu = Enumerable.Range(1, 8).Select(i => new MenuItem($"Item {i}", 1m, null)).ToList();
        Assert.Equal("Item 1, Item 2, Item 3, Item 4, Item 5, Item 6", OrderTaking.MenuList(menu));
    }
}
