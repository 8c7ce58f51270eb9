using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.GZip;

namespace Mamba.Sdk.Data;

/// <summary>
/// Opens data files for readers: plain or gzip-compressed (told by the magic bytes, not the name). The gzip path
/// checks every member's CRC-32 and length trailer, so a truncated or corrupted <c>.gz</c> fails with a
/// <see cref="DataFormatException"/> naming the file instead of reading silently up to the cut, which .NET's
/// <c>GZipStream</c> does. Concatenated members (bgzip output) read as one stream.
/// </summary>
public static class DataFile
{
    /// <summary>Opens <paramref name="path"/> for reading, decompressing gzip transparently.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static Stream OpenRead(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            bool gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
            file.Position = 0;
            return gzip ? new CheckedGzipStream(new GZipInputStream(file), path) : file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Turns the decompressor's complaints (truncation, bad CRC, bad header) into data errors naming the file.</summary>
    private sealed class CheckedGzipStream(GZipInputStream inner, string path) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            // SharpZipLib also throws index and argument exceptions on some malformed headers.
            catch (Exception e) when (e is SharpZipBaseException or EndOfStreamException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw new DataFormatException(path, $"the gzip data is truncated or corrupt ({e.Message}); nothing past the damage is usable", inner: e);
            }
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
