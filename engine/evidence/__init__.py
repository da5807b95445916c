"""Evidence files 佐证材料: photos, PDFs and office documents attached to a project's records."""
