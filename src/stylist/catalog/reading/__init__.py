"""Reading a product page, whatever the shop: schema.org data in every syntax (JSON-LD, microdata, RDFa), OpenGraph,
the page as people see it (heading, price, size pickers, shown numbers), and the merge of what each says into the
products the catalog stores. The adapters in catalog/shops/ build on these; nothing here knows one shop.
"""
