namespace DataForgeGateway.Tokens;

/// <summary>The token layer every replica shares (Redis), behind the in-process one.</summary>
internal interface ISharedTokenStore
{
    /// <summary>The stored token, or null when there is none, it cannot be read, or the store is down.</summary>
    Task<AccessToken?> GetAsync(string key, TimeSpan safetyMargin, CancellationToken cancellationToken);

    /// <summary>Stores the token until it expires; a store that is down is logged and skipped.</summary>
    Task SetAsync(string key, AccessToken token, CancellationToken cancellationToken);
}

/// <summary>One replica, no Redis: the in-process layer is the whole cache.</summary>
internal sealed class NoSharedTokenStore : ISharedTokenStore
{
    public Task<AccessToken?> GetAsync(string key, TimeSpan safetyMargin, CancellationToken cancellationToken) => Task.FromResult<AccessToken?>(null);

    public Task SetAsync(string key, AccessToken token, CancellationToken cancellationToken) => Task.CompletedTask;
}
