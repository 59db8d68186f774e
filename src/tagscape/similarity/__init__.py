"""Similar music: nearest segments or tracks by embedding (cosine), exact or from an HNSW index."""
