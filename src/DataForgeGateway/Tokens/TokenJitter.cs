namespace DataForgeGateway.Tokens;

/// <summary>
/// The random spread of refresh points and back-offs, so replicas do not act together. A source of its own so that
/// tests can fix it and check the exact delays.
/// </summary>
internal sealed class TokenJitter(Func<double> next)
{
    public TokenJitter()
        : this(Random.Shared.NextDouble)
    {
    }

    /// <summary>A number from 0 (inclusive) to 1 (exclusive).</summary>
    public double Next() => next();
}
