"""Pure data, formats and maths: edit lists, markers, transcripts, chapters, glossary,
suggestions, loudness analysis, feeds read from elsewhere. No processes, no project files."""
