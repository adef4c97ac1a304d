using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Voice;
using Xunit;

namespace CloudFran.Tests.Voice;

public sealed class IndustriesTests
{
    [Fact]
    public void The_published_industry_names_are_exactly_the_engine_vocabularies()
    {
        Assert.Equal(IndustryVocabulary.All.Keys.Order(StringComparer.Ordinal), Industries.Names.Order(StringComparer.Ordinal));
    }
}
