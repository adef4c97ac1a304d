namespace CloudFran.Grains.Crm;

/// <summary>Gateway JWT settings (environment variables; see docs/crm.md).</summary>
public sealed class LeadGatewayOptions
{
    /// <summary>CLOUDFRAN_JWT_ISSUER — the expected <c>iss</c>.</summary>
    public string Issuer { get; set; } = "cloudvelous.com";

    /// <summary>CLOUDFRAN_JWT_AUDIENCE — the expected <c>aud</c>.</summary>
    public string Audience { get; set; } = "cloudvelous-api";

    /// <summary>CLOUDFRAN_JWT_PUBLIC_KEY (PEM text) or CLOUDFRAN_JWT_PUBLIC_KEY_FILE; none = Bearer JWTs are refused.</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>Allowed clock skew for exp/nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
