/** The page numbers set in a KVM dirty bitmap (little-endian bit order), ascending. */
export function pagesOf(bitmap: Uint8Array, firstPage = 0): number[] {
  const pages: number[] = [];
  for (let byte = 0; byte < bitmap.length; byte++) {
    let b = bitmap[byte]!;
    while (b !== 0) {
      const bit = 31 - Math.clz32(b & -b);
      pages.push(firstPage + byte * 8 + bit);
      b &= b - 1;
    }
  }
  return pages;
}
