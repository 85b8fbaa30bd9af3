using System.Collections;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// What an in-memory exporter exported, safe to read while it adds: the exporters add on their own threads (the
/// periodic metric reader, the batch span processor), and a test enumerating a plain list at that moment could see
/// it half-grown. The exporter is given <see cref="Sink"/>, which adds under a lock; readers enumerate a copy taken
/// under the same lock (deliberately not an <see cref="ICollection{T}"/> to them: LINQ would read its count and then
/// copy, two steps an add can fall between).
/// </summary>
public sealed class ExportedCollection<T> : IEnumerable<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _gate = new();

    public ExportedCollection() => Sink = new Adder(this);

    /// <summary>The collection to hand to <c>AddInMemoryExporter</c>.</summary>
    public ICollection<T> Sink { get; }

    public IEnumerator<T> GetEnumerator()
    {
        lock (_gate)
        {
            return _items.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Adder(ExportedCollection<T> owner) : ICollection<T>
    {
        public int Count
        {
            get
            {
                lock (owner._gate)
                {
                    return owner._items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (owner._gate)
            {
                owner._items.Add(item);
            }
        }

        public void Clear()
        {
            lock (owner._gate)
            {
                owner._items.Clear();
            }
        }

        public bool Contains(T item)
        {
            lock (owner._gate)
            {
                return owner._items.Contains(item);
            }
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (owner._gate)
            {
                owner._items.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(T item)
        {
            lock (owner._gate)
            {
                return owner._items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => owner.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
