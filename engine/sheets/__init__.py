"""The annual list as a spreadsheet: import (xlsx, csv) and export in one column table (``columns``)."""
