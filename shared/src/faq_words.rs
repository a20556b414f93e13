//! The words the FAQ engine compares: lower-cased, accents folded, function words of the
//! widget's main languages dropped, and the words of customer support (orders, delivery,
//! returns, payment, accounts…) in English, Spanish, French, German, Portuguese and Italian
//! mapped to one concept each, so "¿Dónde está mi paquete?" meets "How do I track my order?"
//! without a translation service. Words outside the lexicon are kept, lightly stemmed.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Function words, accents folded: they say nothing about which entry answers.
const STOPWORDS: &[&str] = &[
    // English
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "have",
    "how", "i", "in", "is", "it", "me", "my", "of", "on", "or", "our", "the", "there", "this",
    "to", "we", "what", "which", "many", "who", "why", "will", "with", "you", "your", "get",
    "much", "any", "hi", "hello", "hey", "please", "thanks", "thank", "would", "like", "want",
    "im", "ive", "its", "dont", "just", "so", "if", "was", "that", "u", "ur", "am", "but", "all",
    "about", "could", "should", "has", "had", "did", "been", "still", "yet", "some", "one", "need",
    "know", "tell", "there", "here", "they", "them", "their", "us", "also", "then",
    // Spanish
    "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "al", "y", "o", "que", "en",
    "por", "para", "con", "mi", "mis", "su", "sus", "tu", "tus", "es", "son", "esta", "estan",
    "hay", "como", "cual", "puedo", "puede", "pueden", "tienen", "tiene", "tengo", "hola",
    "gracias", "se", "lo", "le", "ya", "si", "muy", "mas", "ustedes", "usted", "yo", "este", "ese",
    "esa", "favor", "cuanto", "cuanta", "quiero", // French
    "le", "les", "une", "des", "du", "et", "ou", "qui", "au", "aux", "pour", "avec", "mon", "ma",
    "mes", "votre", "vos", "sont", "il", "elle", "je", "vous", "nous", "comment", "quel", "quelle",
    "quels", "puis", "peux", "peut", "avez", "avoir", "bonjour", "merci", "ce", "cette", "ne",
    "pas", "sur", "est", "ai", "j", "l", "d", "qu", "c", "s", "n", "y", "faire", "combien",
    // German
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und",
    "oder", "ist", "sind", "meine", "meinen", "meiner", "ihr", "ihre", "ihren", "ich", "sie",
    "wir", "wie", "was", "welche", "kann", "konnen", "habe", "haben", "hallo", "danke", "bitte",
    "zu", "mit", "fur", "von", "auf", "im", "es", "nicht", "noch", "mich", "mir", "man", "gibt",
    "bei", "euch", "ihnen", "ja", "nein", "wenn", "dass", "viel", "wieviel",
    // Portuguese and Italian
    "o", "os", "as", "um", "uma", "do", "da", "dos", "das", "e", "em", "no", "na", "com", "meu",
    "minha", "seu", "sua", "voce", "voces", "sao", "qual", "posso", "pode", "tem", "ola",
    "obrigado", "obrigada", "eu", "nao", "ja", "muito", "il", "di", "che", "per", "non", "sono",
    "ciao", "grazie", "mio", "mia", "vostro", "quanto", "quero", "pra", "pro", "pros", "pras",
];

/// Word beginnings (accents folded) and the concept they stand for. A word takes the concept
/// of the longest beginning it has; each concept is a word no language writes (`~…`).
const LEXICON: &[(&str, &str)] = &[
    // Sending something back.
    ("return", "~return"),
    ("devol", "~return"),
    ("retour", "~return"),
    ("renvo", "~return"),
    ("rucksend", "~return"),
    ("zurucksend", "~return"),
    ("zuruckschick", "~return"),
    ("zuruckgeb", "~return"),
    ("restitu", "~return"),
    // Money back.
    ("refund", "~refund"),
    ("reembols", "~refund"),
    ("rembours", "~refund"),
    ("erstatt", "~refund"),
    ("ruckerstatt", "~refund"),
    ("rimbors", "~refund"),
    ("money", "~refund"),
    ("dinero", "~refund"),
    ("argent", "~refund"),
    ("geld", "~refund"),
    ("dinheiro", "~refund"),
    ("soldi", "~refund"),
    // Delivery.
    ("ship", "~ship"),
    ("deliver", "~ship"),
    ("arriv", "~ship"),
    ("envio", "~ship"),
    ("envia", "~ship"),
    ("enviar", "~ship"),
    ("envoi", "~ship"),
    ("envoy", "~ship"),
    ("entreg", "~ship"),
    ("livr", "~ship"),
    ("liefer", "~ship"),
    ("versand", "~ship"),
    ("versend", "~ship"),
    ("verschick", "~ship"),
    ("expedi", "~ship"),
    ("spedi", "~ship"),
    ("consegn", "~ship"),
    ("postage", "~ship"),
    ("courier", "~ship"),
    ("send$", "~ship"),
    ("sends$", "~ship"),
    ("sending$", "~ship"),
    ("chega", "~ship"),
    ("llega", "~ship"),
    ("recib", "~ship"),
    ("recev", "~ship"),
    ("receb", "~ship"),
    ("ankomm", "~ship"),
    ("kommt", "~ship"),
    // How long.
    ("long", "~duration"),
    ("day", "~duration"),
    ("days", "~duration"),
    ("week", "~duration"),
    ("woche$", "~duration"),
    ("wochen$", "~duration"),
    ("semana", "~duration"),
    ("semaine", "~duration"),
    ("settiman", "~duration"),
    ("tiempo", "~duration"),
    ("tarda", "~duration"),
    ("dias", "~duration"),
    ("jour", "~duration"),
    ("temps", "~duration"),
    ("delai", "~duration"),
    ("lange", "~duration"),
    ("dauer", "~duration"),
    ("tage", "~duration"),
    ("tempo", "~duration"),
    ("demora", "~duration"),
    ("prazo", "~duration"),
    ("giorni", "~duration"),
    ("soon", "~duration"),
    ("fast", "~duration"),
    ("quick", "~duration"),
    ("schnell", "~duration"),
    ("rapid", "~duration"),
    ("rapide", "~duration"),
    // "When" asks how long, in a support chat.
    ("when", "~duration"),
    ("cuando", "~duration"),
    ("quand", "~duration"),
    ("wann", "~duration"),
    ("quando", "~duration"),
    ("until", "~duration"),
    ("hasta", "~duration"),
    ("jusqu", "~duration"),
    ("bis", "~duration"),
    ("today", "~duration"),
    ("hoy", "~duration"),
    ("heute", "~duration"),
    ("hoje", "~duration"),
    ("aujourd", "~duration"),
    // What it costs.
    ("cost", "~cost"),
    ("price", "~cost"),
    ("fee", "~cost"),
    ("charg", "~cost"),
    ("free", "~cost"),
    ("cuest", "~cost"),
    ("precio", "~cost"),
    ("gratis", "~cost"),
    ("gratuit", "~cost"),
    ("prix", "~cost"),
    ("frais", "~cost"),
    ("cout", "~cost"),
    ("kost", "~cost"),
    ("preis", "~cost"),
    ("gebuhr", "~cost"),
    ("preco", "~cost"),
    ("custa", "~cost"),
    ("custo", "~cost"),
    ("frete", "~cost"),
    ("fees", "~cost"),
    ("extra$", "~cost"),
    ("expensive", "~cost"),
    ("cheap", "~cost"),
    ("caro", "~cost"),
    ("teuer", "~cost"),
    // Abroad.
    ("international", "~abroad"),
    ("internacional", "~abroad"),
    ("abroad", "~abroad"),
    ("overseas", "~abroad"),
    ("countr", "~abroad"),
    ("pais", "~abroad"),
    ("extranjer", "~abroad"),
    ("etranger", "~abroad"),
    ("pays", "~abroad"),
    ("ausland", "~abroad"),
    ("exterior", "~abroad"),
    ("worldwide", "~abroad"),
    ("outside$", "~abroad"),
    ("customs$", "~abroad"),
    ("douane", "~abroad"),
    ("zoll", "~abroad"),
    ("aduana", "~abroad"),
    ("alfandega", "~abroad"),
    ("dogan", "~abroad"),
    ("estero", "~abroad"),
    ("europ", "~abroad"),
    ("canada", "~abroad"),
    ("mexic", "~abroad"),
    ("brasil", "~abroad"),
    ("brazil", "~abroad"),
    ("uk", "~abroad"),
    ("australia", "~abroad"),
    ("germany", "~abroad"),
    ("deutschland", "~abroad"),
    ("schweiz", "~abroad"),
    ("osterreich", "~abroad"),
    ("espana", "~abroad"),
    ("spain", "~abroad"),
    ("portugal", "~abroad"),
    ("japan", "~abroad"),
    // Where it is now.
    ("track", "~track"),
    ("where", "~where"),
    ("status", "~track"),
    ("seguim", "~track"),
    ("rastre", "~track"),
    ("donde", "~where"),
    ("suivi", "~track"),
    ("suivre", "~track"),
    ("wo", "~where"),
    ("verfolg", "~track"),
    ("onde", "~where"),
    ("dove", "~where"),
    ("localiz", "~track"),
    ("estado", "~track"),
    // The purchase.
    ("order", "~order"),
    ("package", "~order"),
    ("parcel", "~order"),
    // Buying is an order too, once "where" has been read ("where can I buy" is no tracking).
    ("bought$", "~purchase"),
    ("buy$", "~purchase"),
    ("compre$", "~purchase"),
    ("comprei$", "~purchase"),
    ("achete", "~purchase"),
    ("gekauft", "~purchase"),
    ("box$", "~order"),
    ("boxes$", "~order"),
    ("caja$", "~order"),
    ("caixa", "~order"),
    ("boite", "~order"),
    ("karton", "~order"),
    ("purchase", "~order"),
    ("pedido", "~order"),
    ("paquete", "~order"),
    ("commande", "~order"),
    ("colis", "~order"),
    ("bestell", "~order"),
    ("paket", "~order"),
    ("sendung", "~order"),
    ("encomenda", "~order"),
    ("pacote", "~order"),
    ("ordine", "~order"),
    ("pacco", "~order"),
    ("compra", "~order"),
    ("achat", "~order"),
    ("kauf", "~order"),
    // Changing or cancelling it.
    ("change", "~change"),
    ("modif", "~change"),
    ("cambiar", "~change"),
    ("changer", "~change"),
    ("ander$", "~change"),
    ("andern$", "~change"),
    ("anderung", "~change"),
    ("geander", "~change"),
    ("alter", "~change"),
    ("mudar", "~change"),
    ("edit", "~change"),
    ("fix$", "~change"),
    ("update", "~change"),
    ("cancel", "~cancel"),
    ("annul", "~cancel"),
    ("stornier", "~cancel"),
    ("storno", "~cancel"),
    ("anular", "~cancel"),
    // Paying.
    ("pay", "~pay"),
    ("visa", "~pay"),
    ("mastercard", "~pay"),
    ("amex", "~pay"),
    ("american", "~pay"),
    ("paypal", "~pay"),
    ("apple", "~pay"),
    ("credit", "~pay"),
    ("debit", "~pay"),
    ("payment", "~pay"),
    ("pago", "~pay"),
    ("pagar", "~pay"),
    ("pagam", "~pay"),
    ("pagament", "~pay"),
    ("paie", "~pay"),
    ("payer", "~pay"),
    ("bezahl", "~pay"),
    ("zahl", "~pay"),
    ("tarjeta", "~pay"),
    ("accept", "~accept"),
    ("acept", "~accept"),
    ("aceit", "~accept"),
    ("akzept", "~accept"),
    ("accett", "~accept"),
    ("card$", "~pay"),
    ("carte$", "~pay"),
    ("cards$", "~pay"),
    ("karte$", "~pay"),
    ("karten$", "~pay"),
    ("kredit", "~pay"),
    ("cartao", "~pay"),
    ("carta", "~pay"),
    ("bancaire", "~pay"),
    ("klarna", "~pay"),
    ("bitcoin", "~pay"),
    ("crypto", "~pay"),
    ("cash", "~pay"),
    ("efectivo", "~pay"),
    // Another size or item.
    ("exchang", "~exchange"),
    ("swap", "~exchange"),
    ("trade", "~exchange"),
    ("cambio", "~exchange"),
    ("echang", "~exchange"),
    ("umtausch", "~exchange"),
    ("tausch", "~exchange"),
    ("troc", "~exchange"),
    ("sostitu", "~exchange"),
    // Sizes.
    ("size", "~size"),
    ("sizing", "~size"),
    ("fit", "~size"),
    ("talla", "~size"),
    ("taille", "~size"),
    ("grosse", "~size"),
    ("grose", "~size"),
    ("groes", "~size"),
    ("tamanho", "~size"),
    ("medid", "~size"),
    ("mesur", "~size"),
    ("measur", "~size"),
    ("taglia", "~size"),
    ("small", "~size"),
    ("large", "~size"),
    ("big", "~size"),
    ("tight", "~size"),
    ("medium", "~size"),
    ("xl", "~size"),
    ("xxl", "~size"),
    ("xs", "~size"),
    ("petit$", "~size"),
    ("petite$", "~size"),
    ("petits$", "~size"),
    ("petites$", "~size"),
    ("pequen", "~size"),
    ("klein", "~size"),
    ("grande$", "~size"),
    // How it is made.
    ("sustainab", "~green"),
    ("eco", "~green"),
    ("ecolog", "~green"),
    ("recycl", "~green"),
    ("organic", "~green"),
    ("bio$", "~green"),
    ("organi", "~green"),
    ("environment", "~green"),
    ("sostenib", "~green"),
    ("nachhaltig", "~green"),
    ("umwelt", "~green"),
    ("sustentav", "~green"),
    ("reciclad", "~green"),
    ("biolog", "~green"),
    ("fair", "~green"),
    ("ethic", "~green"),
    ("ethiq", "~green"),
    ("etic", "~green"),
    ("planet", "~green"),
    ("durabl", "~green"),
    // Gift cards.
    ("gift", "~gift"),
    ("regal", "~gift"),
    ("cadeau", "~gift"),
    ("geschenk", "~gift"),
    ("gutschein", "~gift"),
    ("presente", "~gift"),
    ("voucher", "~gift"),
    ("offrir$", "~gift"),
    // Discount codes.
    ("discount", "~discount"),
    ("promotion", "~discount"),
    ("descuento", "~discount"),
    ("reduc", "~discount"),
    ("remise", "~discount"),
    ("rabatt", "~discount"),
    ("desconto", "~discount"),
    ("sconto", "~discount"),
    ("off", "~discount"),
    // What is typed in for one.
    ("code", "~code"),
    ("codigo", "~code"),
    ("codice", "~code"),
    ("promo", "~code"),
    ("coupon", "~code"),
    ("cupon", "~code"),
    ("cupom", "~code"),
    // The shop you can walk into.
    ("store", "~store"),
    ("shop$", "~store"),
    ("shops$", "~store"),
    ("outlet", "~store"),
    ("physical", "~store"),
    ("visit", "~store"),
    ("tienda", "~store"),
    ("fisic", "~store"),
    ("magasin", "~store"),
    ("boutique", "~store"),
    ("laden", "~store"),
    ("filiale", "~store"),
    ("loja", "~store"),
    ("negozio", "~store"),
    ("showroom", "~store"),
    ("local", "~store"),
    // Getting into the account.
    ("password", "~password"),
    ("login", "~password"),
    ("log", "~password"),
    ("sign", "~password"),
    ("reset", "~password"),
    ("forgot", "~password"),
    ("clave$", "~password"),
    ("restablec", "~password"),
    ("redefin", "~password"),
    ("zurucksetz", "~password"),
    ("contrasena", "~password"),
    ("passwort", "~password"),
    ("kennwort", "~password"),
    ("senha", "~password"),
    ("olvid", "~password"),
    ("oubli", "~password"),
    ("vergessen", "~password"),
    ("esqueci", "~password"),
    ("anmeld", "~password"),
    ("connect", "~password"),
    ("acced", "~password"),
    ("acess", "~password"),
    ("locked", "~password"),
    // Guarantees.
    ("warrant", "~warranty"),
    ("cover$", "~warranty"),
    ("covered$", "~warranty"),
    ("cubr", "~warranty"),
    ("couvert", "~warranty"),
    ("abgedeckt", "~warranty"),
    ("cobert", "~warranty"),
    ("guarant", "~warranty"),
    ("garant", "~warranty"),
    ("defect", "~warranty"),
    ("defekt", "~warranty"),
    ("defeito", "~warranty"),
    ("defaut", "~warranty"),
    ("fault", "~warranty"),
    ("seam", "~warranty"),
    ("zipper", "~warranty"),
    // Caring for clothes.
    ("care", "~care"),
    ("wash", "~care"),
    ("clean", "~care"),
    ("dry", "~care"),
    ("lavar", "~care"),
    ("laver", "~care"),
    ("lavag", "~care"),
    ("lavad", "~care"),
    ("wasch", "~care"),
    ("pfleg", "~care"),
    ("cuid", "~care"),
    ("entret", "~care"),
    ("limp", "~care"),
    ("secad", "~care"),
    ("trockn", "~care"),
    ("sech", "~care"),
    ("softener", "~care"),
    ("detergent", "~care"),
    ("waterproof", "~care"),
    ("impermeab", "~care"),
    ("wasserdicht", "~care"),
    ("machine", "~care"),
    ("maschine", "~care"),
    ("maquina", "~care"),
    ("repellen", "~care"),
    // Students.
    ("student", "~student"),
    ("estudiant", "~student"),
    ("etudiant", "~student"),
    ("studier", "~student"),
    ("estudante", "~student"),
    ("universit", "~student"),
    ("college", "~student"),
    ("studente", "~student"),
    // Arrived broken.
    ("damag", "~damaged"),
    ("broke", "~damaged"),
    ("crush", "~damaged"),
    ("amassad", "~damaged"),
    ("aplastad", "~damaged"),
    ("ecrase", "~damaged"),
    ("zerdruckt", "~damaged"),
    ("ruin", "~damaged"),
    ("hole$", "~damaged"),
    ("holes$", "~damaged"),
    ("wet$", "~damaged"),
    ("soaked", "~damaged"),
    ("scratch", "~damaged"),
    ("dent$", "~damaged"),
    ("dented", "~damaged"),
    ("leak", "~damaged"),
    ("stain$", "~damaged"),
    ("stains$", "~damaged"),
    ("stained$", "~damaged"),
    ("agujer", "~damaged"),
    ("mojad", "~damaged"),
    ("trou$", "~damaged"),
    ("trous$", "~damaged"),
    ("mouill", "~damaged"),
    ("loch$", "~damaged"),
    ("nass$", "~damaged"),
    ("buraco", "~damaged"),
    ("molhad", "~damaged"),
    ("torn", "~damaged"),
    ("ripped", "~damaged"),
    ("danad", "~damaged"),
    ("roto", "~damaged"),
    ("rota", "~damaged"),
    ("abim", "~damaged"),
    ("endommag", "~damaged"),
    ("casse", "~damaged"),
    ("beschadig", "~damaged"),
    ("kaputt", "~damaged"),
    ("danific", "~damaged"),
    ("quebrad", "~damaged"),
    ("rasgad", "~damaged"),
    ("dechir", "~damaged"),
    ("zerrissen", "~damaged"),
    ("danneggi", "~damaged"),
    // Back in stock.
    ("restock", "~stock"),
    ("stock", "~stock"),
    ("sold", "~stock"),
    ("available", "~stock"),
    ("agotad", "~stock"),
    ("repon", "~stock"),
    ("disponib", "~stock"),
    ("rupture", "~stock"),
    ("epuise", "~stock"),
    ("ausverkauft", "~stock"),
    ("verfugbar", "~stock"),
    ("lager", "~stock"),
    ("esgotad", "~stock"),
    ("repos", "~stock"),
    ("esaurit", "~stock"),
    ("notify", "~stock"),
    ("again", "~stock"),
    ("wieder", "~stock"),
    ("nachschub", "~stock"),
    // When someone is there.
    ("hour", "~hours"),
    ("open", "~hours"),
    ("horario", "~hours"),
    ("hora", "~hours"),
    ("heure", "~hours"),
    ("horaire", "~hours"),
    ("ouvert", "~hours"),
    ("offnung", "~hours"),
    ("geoffnet", "~hours"),
    ("uhr", "~hours"),
    ("erreichbar", "~hours"),
    ("orari", "~hours"),
    ("aberto", "~hours"),
    ("abiert", "~hours"),
    ("weekend", "~hours"),
    ("monday", "~hours"),
    ("saturday", "~hours"),
    ("sunday", "~hours"),
    ("friday", "~hours"),
    // Washing, in the words the caring entries lacked.
    ("lave$", "~care"),
    ("lavo$", "~care"),
    ("adouciss", "~care"),
    ("weichspul", "~care"),
    ("suavizant", "~care"),
    ("amaciant", "~care"),
    // Where things go.
    ("address", "~address"),
    ("direccion", "~address"),
    ("adresse", "~address"),
    ("endereco", "~address"),
    ("indirizz", "~address"),
    ("anschrift", "~address"),
    // A table to look things up in.
    ("guide", "~guide"),
    ("chart", "~guide"),
    ("tabla", "~guide"),
    ("tableau", "~guide"),
    ("tabelle", "~guide"),
    ("tabela", "~guide"),
    ("tabella", "~guide"),
    ("guia", "~guide"),
    // Whom to reach.
    ("support", "~support"),
    ("service", "~support"),
    ("team", "~support"),
    ("contact", "~support"),
    ("reach", "~support"),
    ("atencion", "~support"),
    ("servicio", "~support"),
    ("equipe", "~support"),
    ("kundenservice", "~support"),
    ("kundendienst", "~support"),
    ("atendimento", "~support"),
    ("suporte", "~support"),
    ("assistenza", "~support"),
    ("cliente", "~support"),
    ("client", "~support"),
    ("kunden", "~support"),
    ("staff", "~support"),
];

/// Words that say one thing only together ("send back" is to return), folded, with it (or
/// the things they say, apart by spaces).
const PHRASES: &[(&[&str], &str)] = &[
    (&["send", "back"], "~return"),
    (&["sent", "back"], "~return"),
    (&["take", "back"], "~return"),
    (&["give", "back"], "~return"),
    (&["in", "person"], "~store"),
    (&["brick", "and", "mortar"], "~store"),
    (&["mot", "de", "passe"], "~password"),
    (&["palavra", "passe"], "~password"),
    (&["run", "out"], "~stock"),
    (&["fair", "trade"], "~green"),
    // Not liking what came is the reason to send it back.
    (&["don", "t", "like"], "~return"),
    (&["didn", "t", "like"], "~return"),
    (&["no", "me", "gusta"], "~return"),
    (&["no", "me", "gusto"], "~return"),
    (&["ne", "me", "plait", "pas"], "~return"),
    (&["nao", "gostei"], "~return"),
    (&["nicht", "gefallt"], "~return"),
    (&["gefallt", "mir", "nicht"], "~return"),
    (&["delivery", "time"], "~ship ~duration"),
    (&["shipping", "time"], "~ship ~duration"),
    // Which size to take is what a size guide answers.
    (&["which", "size"], "~size ~guide"),
    (&["what", "size"], "~size ~guide"),
    (&["welche", "grosse"], "~size ~guide"),
    (&["welche", "grose"], "~size ~guide"),
    (&["quelle", "taille"], "~size ~guide"),
    (&["que", "talla"], "~size ~guide"),
    (&["qual", "tamanho"], "~size ~guide"),
    (&["che", "taglia"], "~size ~guide"),
    (&["bon", "d", "achat"], "~gift"),
    (&["bons", "d", "achat"], "~gift"),
    // It does not fit: another size is wanted.
    (&["too", "small"], "~exchange"),
    (&["too", "big"], "~exchange"),
    (&["too", "large"], "~exchange"),
    (&["too", "tight"], "~exchange"),
    (&["too", "loose"], "~exchange"),
    (&["too", "short"], "~exchange"),
    (&["doesn", "t", "fit"], "~exchange"),
    (&["trop", "petit"], "~exchange"),
    (&["trop", "petite"], "~exchange"),
    (&["trop", "grand"], "~exchange"),
    (&["trop", "grande"], "~exchange"),
    (&["zu", "klein"], "~exchange"),
    (&["zu", "gross"], "~exchange"),
    (&["zu", "gros"], "~exchange"),
    (&["zu", "eng"], "~exchange"),
    (&["queda", "pequena"], "~exchange"),
    (&["queda", "pequeno"], "~exchange"),
    (&["queda", "grande"], "~exchange"),
    (&["demasiado", "pequeno"], "~exchange"),
    (&["demasiado", "grande"], "~exchange"),
    (&["ficou", "pequeno"], "~exchange"),
    (&["ficou", "pequena"], "~exchange"),
    (&["ficou", "grande"], "~exchange"),
    (&["ran", "out"], "~stock"),
    (&["gift", "card"], "~gift"),
    (&["gift", "cards"], "~gift"),
    (&["tarjeta", "regalo"], "~gift"),
    (&["tarjeta", "de", "regalo"], "~gift"),
    (&["tarjetas", "de", "regalo"], "~gift"),
    (&["cartao", "de", "presente"], "~gift"),
    (&["cartoes", "de", "presente"], "~gift"),
    (&["extra", "large"], "~size"),
    (&["tarjetas", "regalo"], "~gift"),
    (&["vale", "regalo"], "~gift"),
    (&["carte", "cadeau"], "~gift"),
    (&["cartes", "cadeaux"], "~gift"),
    (&["cartao", "presente"], "~gift"),
    (&["cartoes", "presente"], "~gift"),
    (&["carta", "regalo"], "~gift"),
];

/// Beginnings (folded) of words that name what a question is about or when, not what it asks:
/// the goods ("Can I return a jacket?"), people ("for my sister"), spans of time ("last
/// week"). One the FAQ does not have says nothing against an entry's answering.
const CONTEXT: &[&str] = &[
    // Goods.
    "jacket",
    "jacke",
    "chaquet",
    "jaquet",
    "veste",
    "casaco",
    "giacc",
    "coat",
    "abrigo",
    "manteau",
    "mantel",
    "parka",
    "fleece",
    "pant",
    "trouser",
    "hose",
    "pantalon",
    "calca",
    "pantalo",
    "shirt",
    "camis",
    "hemd",
    "chemise",
    "boot",
    "bota",
    "stiefel",
    "botte",
    "shoe",
    "zapat",
    "schuh",
    "chaussure",
    "sapat",
    "scarp",
    "dress",
    "vestido",
    "robe",
    "kleid",
    "sweater",
    "pullover",
    "jersey",
    "hoodie",
    "backpack",
    "mochila",
    "rucksack",
    "sac",
    "bag",
    "bolsa",
    "tasche",
    "glove",
    "guante",
    "gant",
    "handschuh",
    "luva",
    "hat",
    "sombrero",
    "chapeau",
    "mutze",
    "chapeu",
    "sock",
    "calcet",
    "chaussette",
    "socke",
    "meia",
    "product",
    "producto",
    "produto",
    "produit",
    "produkt",
    "prodott",
    "article",
    "articulo",
    "artigo",
    "artikel",
    "articol",
    "thing",
    "cosa",
    "chose$",
    "ding$",
    "coisa",
    "ropa",
    "roupa",
    "vetement",
    "kleidung",
    "clothes",
    "clothing",
    "item",
    // Places of the shop's site.
    "checkout",
    "cart$",
    "basket",
    "website",
    "app",
    // Colours (a green jacket is no question of sustainability).
    "green",
    "red",
    "blue",
    "black",
    "white",
    "grey",
    "gray",
    "yellow",
    "pink",
    "brown",
    "verde",
    "rojo",
    "azul",
    "negro",
    "blanco",
    "gris",
    "vert$",
    "verte$",
    "rouge",
    "bleu",
    "noir",
    "blanc",
    "grun$",
    "rot",
    "blau",
    "schwarz",
    "weiss$",
    "weis$",
    "weisse$",
    "vermelh",
    "preto",
    "branco",
    "colour",
    "color",
    "couleur",
    "farbe",
    "cor",
    // Parts of goods.
    "reisverschluss",
    "cremallera",
    "fermeture",
    "ziper",
    "costura",
    "couture",
    "naht",
    "button",
    "boton",
    "bouton",
    "knopf",
    "botao",
    // People.
    "sister",
    "brother",
    "mother",
    "mom",
    "mum",
    "father",
    "dad",
    "wife",
    "husband",
    "friend",
    "boyfriend",
    "girlfriend",
    "son",
    "daughter",
    "kid",
    "child",
    "novio",
    "novia",
    "amig",
    "madre",
    "padre",
    "hermano",
    "hermana",
    "hijo",
    "hija",
    "mari$",
    "femme",
    "ami",
    "soeur",
    "frere",
    "mere",
    "pere",
    "fils",
    "fille",
    "freund",
    "frau$",
    "mann",
    "mutter",
    "vater",
    "schwester",
    "bruder",
    "sohn",
    "tochter",
    "kind",
    "irma",
    "irmao",
    "namorad",
    "filh",
    "mae",
    "pai",
    "esposa",
    "esposo",
    "marido",
    "mulher",
    // Time.
    "month",
    "year",
    "yesterday",
    "ago",
    "mes",
    "ano",
    "ayer",
    "mois",
    "annee",
    "hier",
    "monat",
    "jahr",
    "gestern",
    "ontem",
    "minute",
    "minuto",
    "mese",
    "anno$",
    "ieri",
    // The weather goods are made for (a rain jacket is goods, whatever the weather).
    "rain",
    "pluie",
    "lluvia",
    "regen$",
    "chuva",
    "pioggia",
];

/// Whether a term names goods, people or time (see [`CONTEXT`]). Entries of three letters or
/// fewer, or ending in `$`, are whole words; the others beginnings.
pub fn is_context(term: &str) -> bool {
    CONTEXT.iter().any(|c| match c.strip_suffix('$') {
        Some(word) => term == word,
        None if c.chars().count() <= 3 => term == *c,
        None => term.starts_with(c),
    })
}

/// The words of `text` as the engine compares them.
pub fn terms(text: &str) -> Vec<String> {
    let words = phrases(words(text));
    let negated = words.iter().any(|w| NEGATIONS.contains(&w.as_str()));
    let mut terms: Vec<String> = Vec::new();
    for w in words.iter().map(String::as_str) {
        // Order and tracking numbers ("A1B2C3", "1Z999AA1"), dates and amounts say which
        // order, not what is asked.
        if own_stopwords().contains(w) || w.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if w.starts_with('~') {
            terms.push(w.to_owned());
            continue;
        }
        match compound(w) {
            Some(parts) => terms.extend(parts),
            None if common().contains(w) => {}
            None => terms.push(stem(w)),
        }
    }
    // "Where is my order?" and "it has not arrived" ask where it is, whatever else they say;
    // "where" alone ("where do I put the code") asks nothing in particular.
    let has = |c: &str| terms.iter().any(|t| t == c);
    if (has("~where") && has("~order")) || (negated && has("~ship") && has("~order")) {
        terms.push("~track".into());
    }
    terms.retain(|t| t != "~where");
    for t in terms.iter_mut().filter(|t| *t == "~purchase") {
        *t = "~order".into();
    }
    terms
}

/// Verbs with "back" that say one thing with up to two words between ("take the items back").
const WITH_BACK: &[&str] = &["send", "sent", "take", "give"];

/// `words` with each phrase of [`PHRASES`] replaced by its concept, and each verb of
/// [`WITH_BACK`] with its "back" by "~return" (the words between kept).
fn phrases(mut words: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while i < words.len() {
        let back = (i + 2..=i + 3).find(|&j| words.get(j).is_some_and(|w| w == "back"));
        if let (true, Some(j)) = (WITH_BACK.contains(&words[i].as_str()), back) {
            words[i] = "~return".into();
            words.remove(j);
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let found = PHRASES.iter().find(|(p, _)| {
            words.len() - i >= p.len() && p.iter().zip(&words[i..]).all(|(a, b)| a == b)
        });
        match found {
            Some((p, concepts)) => {
                out.extend(concepts.split(' ').map(str::to_owned));
                i += p.len();
            }
            None => {
                out.push(words[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// The terms of a word the lexicon knows, and of a compound whose last part it knows
/// (German's "Expressversand", "Größentabelle", "Rücksendung"): each part's concept, or the
/// word it is; none for a word the lexicon does not know at all.
fn compound(word: &str) -> Option<Vec<String>> {
    /// Parts shorter than this are no words of their own.
    const PART: usize = 5;
    // German joins parts with -s-, -n-, -en-, -es-.
    let part = |rest: &str| {
        ["", "s", "n", "en", "es"].iter().find_map(|join| {
            let part = rest.strip_prefix(join)?;
            let (concept, len) = lexicon(part)?;
            (part.chars().count() >= PART && len >= 4).then_some(concept)
        })
    };
    if let Some((concept, len)) = lexicon(word) {
        let mut out = vec![concept.to_owned()];
        if let Some(second) = part(&word[len..]).filter(|c| *c != concept) {
            out.push(second.to_owned());
        }
        return Some(out);
    }
    let starts: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
    // Past this, no compound: nobody writes one that long, and each split costs a lookup.
    const LONGEST: usize = 40;
    if starts.len() < 2 * PART || starts.len() > LONGEST {
        return None;
    }
    starts[PART..=starts.len() - PART].iter().find_map(|&i| {
        let (concept, len) = lexicon(&word[i..])?;
        (len >= PART).then(|| {
            let first = &word[..i];
            let mut out = Vec::new();
            if !common().contains(first) {
                out.push(stem(first));
            }
            out.push(concept.to_owned());
            out
        })
    })
}

/// Words that turn "it arrived" into "it has not arrived", folded.
const NEGATIONS: &[&str] = &[
    "not", "never", "t", "dont", "didnt", "hasnt", "havent", "isnt", "wasnt", "no", "nunca",
    "todavia", "pas", "jamais", "nicht", "nie", "nao", "ainda",
];

/// The message's words, folded, without the name a visitor introduces themselves with
/// ("Hi, I'm Dana", "Marco here", "je suis Camille"): a name is not a question.
fn words(text: &str) -> Vec<String> {
    let raw: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .collect();
    let folded: Vec<String> = raw.iter().map(|w| fold(w)).collect();
    let introduced = |i: usize| {
        let before: Vec<&str> =
            folded[i.saturating_sub(2)..i].iter().flat_map(|p| p.split(' ')).collect();
        INTRODUCTIONS.iter().any(|p| before.ends_with(p))
            || (i <= 1 && folded.get(i + 1).is_some_and(|n| n == "here"))
    };
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let mut out = Vec::new();
    for (i, w) in folded.iter().enumerate() {
        // A word the lexicon knows is never taken for a name ("Delivery here?").
        if !(capital(raw[i]) && lexicon(w).is_none() && introduced(i)) {
            out.extend(w.split(' ').filter(|p| !p.is_empty()).map(str::to_owned));
        }
    }
    out
}

/// What comes before a name, folded and split as `words` splits.
const INTRODUCTIONS: &[&[&str]] = &[
    &["i", "m"],
    &["i", "am"],
    &["name", "is"],
    &["this", "is"],
    &["soy"],
    &["llamo"],
    &["suis"],
    &["appelle"],
    &["bin"],
    &["heisse"],
    &["sou"],
    &["chamo"],
    &["chiamo"],
];

fn own_stopwords() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| STOPWORDS.iter().copied().collect())
}

/// The stopwords-iso lists of the languages the lexicon covers, folded: words common to any
/// text (verbs like "find", "put", "need"; "thing", "way") that say nothing of the entry.
fn common() -> &'static HashSet<String> {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        ["en", "es", "fr", "de", "pt", "it"]
            .into_iter()
            .flat_map(stop_words::get)
            .flat_map(|w| fold(&w).split(' ').map(str::to_owned).collect::<Vec<_>>())
            .filter(|w| !w.is_empty())
            .collect()
    })
}

/// Lower case without accents: visitors type "envio" as often as "envío".
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ß' => 's',
            '’' | '\'' => ' ',
            c => c,
        })
        .collect()
}

/// The concept of the longest lexicon beginning `word` has (short beginnings must be the
/// whole word: "wo" is German's "where", not "wool"),
/// and the beginning's length in bytes. A beginning ending in `$` is a whole word only
/// ("card$": never "cardboard").
fn lexicon(word: &str) -> Option<(&'static str, usize)> {
    // Looked up by beginning, longest first: the FAQ's every word passes here on each message.
    // No beginning is longer than the longest entry, however long the word (a visitor's
    // 4,000-letter "word" costs as much as a 20-letter one).
    static BEGINNINGS: OnceLock<(HashMap<&'static str, &'static str>, usize)> = OnceLock::new();
    let (beginnings, longest) = BEGINNINGS.get_or_init(|| {
        let longest = LEXICON.iter().map(|(b, _)| b.trim_end_matches('$').chars().count());
        (LEXICON.iter().copied().collect(), longest.max().unwrap_or(0))
    });
    let ends: Vec<usize> =
        word.char_indices().map(|(i, c)| i + c.len_utf8()).take(*longest + 1).collect();
    if ends.len() <= *longest
        && let Some(concept) = beginnings.get(format!("{word}$").as_str())
    {
        return Some((concept, word.len()));
    }
    // Each beginning's end in bytes and its length in characters, the longest first.
    (0..ends.len().min(*longest))
        .rev()
        .map(|k| (ends[k], k + 1))
        .filter(|(end, chars)| *chars >= 4 || *end == word.len())
        .find_map(|(end, _)| beginnings.get(&word[..end]).map(|c| (*c, end)))
}

/// Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours.
pub(crate) fn one_edit(a: &str, b: &str) -> bool {
    // One edit changes a length by at most one character, four bytes.
    if a.len().abs_diff(b.len()) > 4 {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    one_edit_chars(&a, &b)
}

fn one_edit_chars(a: &[char], b: &[char]) -> bool {
    let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[start..], &b[start..]);
    match ra.len() as isize - rb.len() as isize {
        0 => {
            ra.len() <= 1
                || ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        1 => ra[1..] == *rb,
        -1 => *ra == rb[1..],
        _ => false,
    }
}

/// The concept of a lexicon beginning `word` misspells by one letter ("retrun", "shiping").
/// Beginnings under 6 letters are left out: one letter off, they are other words ("loyal" is
/// not "local").
pub(crate) fn near_concept(word: &str) -> Option<&'static str> {
    let chars: Vec<char> = word.chars().collect();
    let long = |start: &str| start.chars().count() >= 6 && !start.ends_with('$');
    LEXICON.iter().filter(|(start, _)| long(start)).find_map(|(start, concept)| {
        let start: Vec<char> = start.chars().collect();
        let n = start.len();
        // A letter dropped counts only at the word's end: "rest" of "restaurant" is not "reset".
        let dropped = (chars.len() + 1 == n).then_some(n - 1);
        [n, n + 1]
            .into_iter()
            .chain(dropped)
            .any(|k| k <= chars.len() && one_edit_chars(&start, &chars[..k]))
            .then_some(*concept)
    })
}

fn stem(word: &str) -> String {
    if let Some(base) = word.strip_suffix("ies") {
        return format!("{base}y");
    }
    word.strip_suffix('s')
        .filter(|s| s.chars().count() > 2 && !s.ends_with('s'))
        .unwrap_or(word)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::terms;

    #[test]
    fn languages_meet_in_concepts() {
        assert_eq!(terms("¿Dónde está mi paquete?"), ["~order", "~track"]);
        assert_eq!(terms("Where is my order #48213?"), ["~order", "~track"]);
        assert_eq!(terms("Wo ist meine Bestellung"), ["~order", "~track"]);
        assert_eq!(terms("Combien coûte la livraison ?"), ["~cost", "~ship"]);
    }

    #[test]
    fn short_beginnings_match_whole_words_only() {
        assert_eq!(terms("wool"), ["wool"]);
        assert_eq!(terms("wo Paket"), ["~order", "~track"]);
    }

    #[test]
    fn where_asks_about_an_order_only_with_one() {
        assert_eq!(terms("Where do I put the promo code?"), ["~code", "~code"]);
        assert_eq!(terms("My parcel hasn't arrived"), ["~order", "~ship", "~track"]);
        assert_eq!(terms("My parcel arrived"), ["~order", "~ship"]);
    }

    #[test]
    fn phrases_say_one_thing_together() {
        assert_eq!(terms("can I send it back"), ["~return"]);
        assert_eq!(terms("do you take worn items back"), ["~return", "worn", "item"]);
        assert_eq!(terms("a gift card"), ["~gift"]);
        assert_eq!(terms("what cards do you take"), ["~pay"]);
        assert_eq!(terms("mot de passe oublié"), ["~password", "~password"]);
    }

    #[test]
    fn compounds_meet_their_parts() {
        assert_eq!(terms("Gibt es eine Größentabelle?"), ["~size", "~guide"]);
        assert_eq!(terms("wie schnell ist der Expressversand"), ["~duration", "express", "~ship"]);
        // A part must be a word of its own: "passer" is no password, "cardboard" no card.
        assert_eq!(terms("que se passe-t-il"), Vec::<String>::new());
        assert_eq!(terms("cardboard"), ["cardboard"]);
    }

    #[test]
    fn goods_people_and_times_are_the_setting() {
        assert!(super::is_context("jacken"));
        assert!(super::is_context("month"));
        assert!(super::is_context("frau"));
        // Whole words only where a beginning would swallow others.
        assert!(!super::is_context("fraud"));
        assert!(!super::is_context("grund"));
        assert!(!super::is_context("student"));
    }

    #[test]
    fn it_does_not_fit_and_which_size_say_what_they_ask() {
        assert_eq!(terms("Die Jacke ist zu groß"), ["jacke", "~exchange"]);
        assert_eq!(terms("The pants are too small"), ["pant", "~exchange"]);
        assert_eq!(terms("which size should I get"), ["~size", "~guide"]);
        assert_eq!(terms("I don't like it"), ["~return"]);
    }

    #[test]
    fn buying_is_an_order_but_where_to_buy_is_no_tracking() {
        assert_eq!(terms("Where can I buy your jackets?"), ["~order", "jacket"]);
        assert_eq!(terms("I bought it last week"), ["~order", "~duration"]);
        // "zip code" is no zipper, "stainless" no stain.
        assert_eq!(terms("zip code"), ["zip", "~code"]);
        assert_eq!(terms("stainless"), ["stainless"]);
    }

    #[test]
    fn common_words_and_introduced_names_are_dropped() {
        assert_eq!(terms("Hi, I'm Dana. Could you possibly help?"), Vec::<String>::new());
        assert_eq!(terms("Marco here, thanks"), Vec::<String>::new());
        assert_eq!(terms("je suis Camille"), Vec::<String>::new());
        // Lower case after "I'm" is not a name, nor a word the lexicon knows, nor German's "im".
        assert_eq!(terms("I'm cold"), ["cold"]);
        assert_eq!(terms("Delivery here?"), ["~ship"]);
        assert_eq!(terms("Ist das im Laden erhältlich?"), ["~store", "erhaltlich"]);
    }
}
