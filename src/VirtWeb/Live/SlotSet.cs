namespace VirtWeb.Live;

/// <summary>A set of slot numbers as bits, grown as higher slots are added.</summary>
internal sealed class SlotSet
{
    private ulong[] _bits = [];

    public bool Add(int slot)
    {
        var word = slot >> 6;
        if (word >= _bits.Length)
        {
            Array.Resize(ref _bits, Math.Max(word + 1, _bits.Length * 2));
        }

        var mask = 1UL << (slot & 63);
        var added = (_bits[word] & mask) == 0;
        _bits[word] |= mask;
        return added;
    }

    public bool Remove(int slot)
    {
        var word = slot >> 6;
        if (slot < 0 || word >= _bits.Length)
        {
            return false;
        }

        var mask = 1UL << (slot & 63);
        var removed = (_bits[word] & mask) != 0;
        _bits[word] &= ~mask;
        return removed;
    }
}
