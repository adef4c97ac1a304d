using CloudFran.Tests.Crm;
using CloudFran.Tests.Email;
using CloudFran.Tests.Loyalty;
using CloudFran.Tests.Messaging;
using CloudFran.Tests.Voice;
using Xunit;

namespace CloudFran.Tests.Infrastructure;

// One platform per feature: the test classes of a collection share its fixture and run one after another, collections
// run in parallel. Tests sharing a platform never share a tenant, phone number or address (each creates its own, from
// the per-process sequences of the factories), so they cannot see each other's data. Tests that need their own platform
// (restarts, crashes, clusters, special configuration) create it themselves and belong to no collection here.

/// <summary>The plain platform: tenancy, keys, validation, operability, SSRF guards.</summary>
[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFactory>
{
    public const string Name = "Platform";
}

/// <summary>The plain platform for scheduling and inventory (calendar, seats, Scheduling Center, agent, stock).</summary>
[CollectionDefinition(Name)]
public sealed class CalendarCollection : ICollectionFixture<PlatformFactory>
{
    public const string Name = "Calendar";
}

/// <summary>The platform on a clock the tests move (expiry of holds and keys, rate windows, reminders).</summary>
[CollectionDefinition(Name)]
public sealed class FakeClockCollection : ICollectionFixture<FakeClockPlatformFactory>
{
    public const string Name = "Fake clock";
}

/// <summary>SMS, batch sends and outgoing webhooks against a fake Twilio.</summary>
[CollectionDefinition(Name)]
public sealed class MessagingCollection : ICollectionFixture<MessagingFactory>
{
    public const string Name = "Messaging";
}

/// <summary>The voice receptionist, its dashboard hub and the understand API against a fake Twilio.</summary>
[CollectionDefinition(Name)]
public sealed class VoiceCollection : ICollectionFixture<MessagingFactory>
{
    public const string Name = "Voice";
}

/// <summary>Leads, the lead gateway and Autopilot on the CRM clock.</summary>
[CollectionDefinition(Name)]
public sealed class CrmCollection : ICollectionFixture<CrmFactory>
{
    public const string Name = "CRM";
}

/// <summary>Email and Autopilot email against a fake SMTP relay.</summary>
[CollectionDefinition(Name)]
public sealed class EmailCollection : ICollectionFixture<EmailFactory>
{
    public const string Name = "Email";
}

/// <summary>Points, wallets, payments and refunds against a fake Stripe.</summary>
[CollectionDefinition(Name)]
public sealed class LoyaltyCollection : ICollectionFixture<LoyaltyFactory>
{
    public const string Name = "Loyalty";
}

/// <summary>The language-model engines against a fake model server.</summary>
[CollectionDefinition(Name)]
public sealed class LlmCollection : ICollectionFixture<LlmVoiceFactory>
{
    public const string Name = "LLM";
}
