using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Typed keys: one spelling, one parse.</summary>
public sealed class GrainKeyTests
{
    [Fact]
    public void Scoped_keys_round_trip_and_keep_slashes_out_of_the_scope()
    {
        var key = new ScopedKey(new TenantScope("tn_abcdefghijklmnop", DataEnv.Test), "mem_0123456789abcdef");
        Assert.Equal("tn_abcdefghijklmnop/test/mem_0123456789abcdef", key.ToString());
        Assert.Equal(key, ScopedKey.Parse(key.ToString()));
        Assert.Equal("leads", ScopedKey.Parse("tn_abcdefghijklmnop/live/leads").Name);
    }

    [Theory]
    [InlineData("tn_abcdefghijklmnop/live")]
    [InlineData("tn_abcdefghijklmnop/live/")]
    [InlineData("tn_abcdefghijklmnop/prod/leads")]
    [InlineData("xx_abcdefghijklmnop/live/leads")]
    public void Malformed_scoped_keys_are_refused(string value) =>
        Assert.Throws<FormatException>(() => ScopedKey.Parse(value));

    [Fact]
    public void Environments_have_one_spelling()
    {
        Assert.Equal(new TenantScope("tn_abcdefghijklmnop", DataEnv.Test), TenantScope.Of("tn_abcdefghijklmnop", "test"));
        Assert.Equal("live", DataEnv.Live.Name());
        Assert.Throws<FormatException>(() => DataEnvs.Parse("Test"));
    }
}
