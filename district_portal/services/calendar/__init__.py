"""Working time: the calendar engine and the days off an office keeps."""
