"""Pure intake logic for the watched folder: keys, screening, scanning, folder moves."""
