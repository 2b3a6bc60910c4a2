// memfix(v2-block-hash): a v2 block ends where the piece's file ends (piece_size2),
// not where the stored piece does (the v1 piece, pad bytes included)
